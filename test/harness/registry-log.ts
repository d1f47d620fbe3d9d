// Parsing the registry's log (log.level info, formatter text). Every request produces two lines:
//
//   time="..." level=info msg="response completed" http.request.method=GET
//       http.request.uri=/v2/ http.response.status=200 ... (logrus text, on stderr)
//   127.0.0.1 - - [22/Nov/2026:05:52:31 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
//       (Apache combined access log, on stdout; written for every request, including 401s)
//
// Requests answered with a registry error are logged by logrus as level=error msg="response
// completed with error" err.code="blob unknown" ... instead; requests refused by auth (401) get
// only level=warning msg="error authorizing context: authorization token required" (or
// "malformed token", "invalid token", ...). The access-log line exists for every request, so
// that is what to count.

export interface RegistryRequest {
  remote: string;
  method: string;
  /** Request URI as sent (path and query). */
  uri: string;
  /** The path without the query. */
  path: string;
  status: number;
  bytes: number;
  userAgent: string;
}

const ACCESS_LINE =
  /^(\S+) \S+ \S+ \[[^\]]+\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"$/;

/** The requests in a registry log, in order, from its access-log lines. */
export function parseAccessLog(log: string): RegistryRequest[] {
  const out: RegistryRequest[] = [];
  for (const line of log.split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (!m) continue;
    const uri = m[3] ?? '';
    out.push({
      remote: m[1] ?? '',
      method: m[2] ?? '',
      uri,
      path: uri.split('?')[0] ?? uri,
      status: Number(m[4]),
      bytes: m[5] === '-' ? 0 : Number(m[5]),
      userAgent: m[6] ?? '',
    });
  }
  return out;
}
