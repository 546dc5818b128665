import Foundation

/// A problem in a trace file, located at file:line:column.
public struct TraceFileError: Error, Equatable, CustomStringConvertible {
  public let file: String
  public let line: Int
  public let column: Int
  public let message: String

  public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Readers for device and network traces: small CSV files with a header line, `#` comments and
/// blank lines allowed.
///
/// - per-client values (`client,value`, e.g. FLOP/s, bytes/s, seconds): every client id from 0 to
///   the largest once; used as `Distribution.values`.
/// - availability intervals (`client,start,end`, seconds): the client is online on [start, end);
///   used as `Availability.intervals`.
public enum TraceFiles {
  /// Client ids at or above this are refused: a scenario has at most this many clients, and a
  /// typo such as `1000000000000` would otherwise allocate a list per client up to it.
  public static let maximumClients = 10_000_000

  /// Reads per-client values.
  public static func values(contentsOf url: URL) throws(TraceFileError) -> [Double] {
    try values(data: read(url), file: url.path)
  }

  /// Reads per-client values from the bytes of a trace; `file` names it in errors.
  public static func values(data: Data, file: String) throws(TraceFileError) -> [Double] {
    let rows = try rows(data, file: file, columns: 2)
    var byClient: [Int: Double] = [:]
    for row in rows {
      let client = try row.integer(0)
      let value = try row.number(1)
      guard value > 0 && value.isFinite else { throw row.error(1, "'\(row.fields[1])' must be a positive number") }
      guard byClient[client] == nil else { throw row.error(0, "client \(client) appears twice") }
      byClient[client] = value
    }
    guard !byClient.isEmpty else { throw TraceFileError(file: file, line: 1, column: 1, message: "no rows") }
    let count = (byClient.keys.max() ?? 0) + 1
    guard byClient.count == count else {
      // The first gap, from the ids present (not by probing every id up to the largest).
      let missing = byClient.keys.sorted().enumerated().first { $0.offset != $0.element }?.offset ?? 0
      throw TraceFileError(
        file: file, line: rows.last?.line ?? 1, column: 1, message: "client \(missing) has no row (ids must cover 0...\(count - 1))")
    }
    return (0..<count).map { byClient[$0]! }
  }

  /// Reads on-intervals per client.
  public static func intervals(contentsOf url: URL) throws(TraceFileError) -> [[Availability.ClosedInterval]] {
    try intervals(data: read(url), file: url.path)
  }

  /// Reads on-intervals per client from the bytes of a trace; `file` names it in errors.
  public static func intervals(data: Data, file: String) throws(TraceFileError) -> [[Availability.ClosedInterval]] {
    let rows = try rows(data, file: file, columns: 3)
    var byClient: [Int: [Availability.ClosedInterval]] = [:]
    for row in rows {
      let client = try row.integer(0)
      let start = try row.number(1), end = try row.number(2)
      guard start >= 0 else { throw row.error(1, "start \(start) must be ≥ 0") }
      guard end > start else { throw row.error(2, "end \(end) must be greater than start \(start)") }
      byClient[client, default: []].append(Availability.ClosedInterval(start: start, end: end))
    }
    guard !byClient.isEmpty else { throw TraceFileError(file: file, line: 1, column: 1, message: "no rows") }
    // Clients without a row are offline: only the listed ones are visited.
    var result = [[Availability.ClosedInterval]](repeating: [], count: (byClient.keys.max() ?? 0) + 1)
    for (client, intervals) in byClient { result[client] = intervals.sorted { $0.start < $1.start } }
    return result
  }

  struct Row {
    let file: String
    let line: Int
    let fields: [String]
    let columns: [Int]

    func error(_ index: Int, _ message: String) -> TraceFileError {
      TraceFileError(file: file, line: line, column: columns[index], message: message)
    }

    func integer(_ index: Int) throws(TraceFileError) -> Int {
      guard let value = Int(fields[index]), value >= 0 else {
        throw error(index, "'\(fields[index])' is not a client id (a non-negative integer)")
      }
      guard value < TraceFiles.maximumClients else {
        throw error(index, "client \(value) is too large, expected a client id in 0...\(TraceFiles.maximumClients - 1)")
      }
      return value
    }

    func number(_ index: Int) throws(TraceFileError) -> Double {
      guard let value = Double(fields[index]), value.isFinite else { throw error(index, "'\(fields[index])' is not a number") }
      return value
    }
  }

  static func read(_ url: URL) throws(TraceFileError) -> Data {
    do { return try Data(contentsOf: url) } catch {
      throw TraceFileError(file: url.path, line: 0, column: 0, message: "cannot read: \(error.localizedDescription)")
    }
  }

  static func rows(_ data: Data, file: String, columns: Int) throws(TraceFileError) -> [Row] {
    guard let text = String(data: data, encoding: .utf8) else {
      throw TraceFileError(file: file, line: 0, column: 0, message: "cannot read: not UTF-8 text")
    }
    var rows: [Row] = []
    var sawHeader = false
    // Any line break ends a line: "\r\n" is one Character, which a split on "\n" would not see.
    for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      var fields: [String] = []
      var starts: [Int] = []
      var column = 1
      for part in line.split(separator: ",", omittingEmptySubsequences: false) {
        let leading = part.prefix { $0 == " " || $0 == "\t" }.count
        fields.append(part.trimmingCharacters(in: .whitespaces))
        starts.append(column + leading)
        column += part.count + 1
      }
      if !sawHeader {
        sawHeader = true
        if Int(fields[0]) == nil { continue }  // a header line
      }
      guard fields.count == columns else {
        throw TraceFileError(
          file: file, line: index + 1, column: 1, message: "expected \(columns) comma-separated fields, found \(fields.count)")
      }
      rows.append(Row(file: file, line: index + 1, fields: fields, columns: starts))
    }
    return rows
  }
}
