/** A pino destination that keeps every log line, for assertions on what was (not) logged. */
export class LogCapture {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  /** Parsed entries, optionally only those with `msg` (or `event`) equal to `name`. */
  entries(name?: string): Array<Record<string, unknown>> {
    const all = this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    return name ? all.filter((e) => e['msg'] === name || e['event'] === name) : all;
  }

  get text(): string {
    return this.lines.join('');
  }
}
