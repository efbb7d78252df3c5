/** parse-prometheus-text-format ships no types: the shape the tests read. */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
