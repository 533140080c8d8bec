import type { AnnotationProperties, Logger } from '../../src/logger.js'

export interface LogLine {
  level: 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'group'
  message: string
  title?: string
}

/** A Logger that keeps every line, for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = []

  debug(message: string): void {
    this.lines.push({ level: 'debug', message })
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message })
  }
  notice(message: string, properties?: AnnotationProperties): void {
    this.#push('notice', message, properties)
  }
  warning(message: string, properties?: AnnotationProperties): void {
    this.#push('warning', message, properties)
  }
  error(message: string, properties?: AnnotationProperties): void {
    this.#push('error', message, properties)
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'group', message: name })
    return fn()
  }

  /** Every line's text, joined: for leak checks. */
  text(): string {
    return this.lines.map(line => `${line.title ?? ''} ${line.message}`).join('\n')
  }

  #push(level: LogLine['level'], message: string, properties?: AnnotationProperties): void {
    this.lines.push({ level, message, ...(properties?.title ? { title: properties.title } : {}) })
  }
}
