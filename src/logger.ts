/** Where an annotation points: the input or target concerned, shown by GitHub as its title. */
export interface AnnotationProperties {
  title?: string
}

/**
 * The log port. In the action it is @actions/core (so warnings and errors become annotations);
 * in tests it records lines. Nothing passed to it may hold a secret value.
 */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  notice(message: string, properties?: AnnotationProperties): void
  warning(message: string, properties?: AnnotationProperties): void
  error(message: string, properties?: AnnotationProperties): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}
