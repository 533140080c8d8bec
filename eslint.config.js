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
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  prettier
)
