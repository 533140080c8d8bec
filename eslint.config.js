import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'test-servers/*.mjs'] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='jest'][callee.property.name='mock']",
          message: 'Do not mock our own modules: use an in-memory port or a local server.'
        },
        {
          selector:
            "CallExpression[callee.object.name='jest'][callee.property.name='unstable_mockModule']",
          message: 'Do not mock our own modules: use an in-memory port or a local server.'
        }
      ]
    }
  },
  {
    // The engine talks to its parts through its ports only: it never learns which provider, input
    // or report is behind them.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/providers/**',
                '**/config/**',
                '**/report/**',
                '**/action/**',
                '**/cli/**',
                '**/health/**',
                '**/recovery/**',
                '**/main.js',
                '**/ci/**',
                '@actions/*',
                '@octokit/*',
                '@aws-sdk/*'
              ],
              message:
                'The engine reaches its parts through src/engine/ports.ts only, and names no CI.'
            }
          ]
        }
      ]
    }
  },
  {
    // A provider is a part: it never reaches back into the run that wires it. Heavy SDKs stay in
    // their provider's folder, loaded only when a credential names that provider.
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**', 'src/providers/aws/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              allowTypeImports: true,
              message: 'The AWS SDK is loaded lazily, inside src/providers/aws/ only.'
            }
          ]
        }
      ]
    }
  },
  {
    // Outside the providers, a provider is reached through the registry and the descriptor's
    // types only: the run names no provider's module, so a new provider touches nothing else.
    files: ['src/**/*.ts'],
    ignores: ['src/engine/**', 'src/providers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/providers/**', '!**/providers/index.js', '!**/providers/provider.js'],
              allowTypeImports: true,
              message:
                'Reach providers through src/providers/index.ts (the registry) and src/providers/provider.ts.'
            },
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              allowTypeImports: true,
              message: 'The AWS SDK is loaded lazily, inside src/providers/aws/ only.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['src/providers/**/*.ts'],
    ignores: ['src/providers/aws/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/action/**', '**/cli/**', '**/main.js', '**/config/file/**'],
              message: 'A provider is wired by the run; it never imports the run.'
            },
            {
              group: ['@aws-sdk/*', '@smithy/*'],
              allowTypeImports: true,
              message: 'The AWS SDK is loaded lazily, inside src/providers/aws/ only.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['src/providers/aws/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/action/**', '**/cli/**', '**/main.js', '**/config/file/**'],
              message: 'A provider is wired by the run; it never imports the run.'
            }
          ]
        }
      ]
    }
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier
)
