import { describe, expect, it } from '@jest/globals'
import { parseList } from '../../src/config/lists.js'

describe('parseList', () => {
  it('splits on newlines and commas, trims, and drops blanks', () => {
    expect(parseList(' a/b,c/d\n\n  e/f ,\r\ng/h ')).toEqual(['a/b', 'c/d', 'e/f', 'g/h'])
  })
  it('is empty for an empty input', () => {
    expect(parseList('')).toEqual([])
  })
})
