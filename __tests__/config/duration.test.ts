import { describe, expect, it } from '@jest/globals'
import { parseDuration } from '../../src/duration.js'

describe('parseDuration', () => {
  it.each([
    ['1s', 1000],
    ['0.5s', 500],
    ['.25s', 250],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    ['1.5 s', 1500],
    ['0', 0]
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '1', '10 minutes', '-1s', '1x', 's', '1e3ms', '1s2'])('refuses %p', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})
