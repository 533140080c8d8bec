/** Outputs that hold JSON: a script gets them as values, not as strings to parse again. */
const JSON_OUTPUTS = ['results', 'matrix']

/**
 * The run's outputs as one JSON document for standard output, typed as a script wants them:
 * `published` a number, `rotated` a boolean, `result` the per-target array, `results` the
 * per-credential array, `matrix` an object, every other output a string, left out when empty. No
 * output holds a secret (the recovery ciphertext is sealed).
 */
export function outputsJson(outputs: Readonly<Record<string, string>>): string {
  const { published = '0', result = '[]', rotated, ...others } = outputs
  const document: Record<string, unknown> = {
    published: Number(published),
    result: JSON.parse(result) as unknown
  }
  if (rotated !== undefined) document.rotated = rotated === 'true'
  for (const [name, value] of Object.entries(others)) {
    if (value === '') continue
    document[name] = JSON_OUTPUTS.includes(name) ? (JSON.parse(value) as unknown) : value
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
