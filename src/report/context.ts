/** What a reporter may know besides the report. Reporters stay pure: the CLI gathers this. */
export interface ReportContext {
  /** The folder the run started in: SARIF file locations are made relative to it. */
  cwd?: string;
  /** The earlier content of the report's file, if any (Prometheus keeps its last complete run). */
  previous?: string;
}
