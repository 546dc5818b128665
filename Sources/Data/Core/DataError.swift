/// A problem with a corpus, a data-source parameter, a partition or a split, located where that
/// makes sense: `data.jsonl:7:12: field 'domain' is a number, expected a string or an integer`.
///
/// `source` is a file path for reader errors and a component label (`markov`, `dirichlet-over-clients`,
/// `splits`, …) for parameter errors; `line` and `column` are set only when the problem is at a
/// place in a text file.
public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong.
  public enum Kind: Equatable, Sendable {
    /// The file or directory could not be read.
    case unreadable(reason: String)
    /// No documents at all (a file, folder or whole corpus that yields none).
    case empty
    /// Text that is not valid JSON at this position.
    case malformedJSON
    /// A JSON Lines record without the named field.
    case missingField(String)
    /// A field whose JSON type is not the expected one; `found` says what it is ("a number").
    case wrongType(field: String, found: String)
    /// A field with the right type but an unacceptable value (a negative domain id, …).
    case invalidValue(field: String)
    /// A parameter (named here; its value is `text`) outside its domain.
    case invalidParameter(String)
    /// A Markov chain whose context table (`text`, e.g. "27^5 = 14348907") exceeds `limit`.
    case stateSpaceTooLarge(limit: Int)
    /// The power iteration for a stationary distribution stopped at `iterations` with an L1
    /// residual ‖πP − π‖₁ of `residual`.
    case notConverged(iterations: Int, residual: Double)
    /// `text` (a domain, a client, …) has `available` documents where `needed` are required.
    case insufficientDocuments(available: Int, needed: Int)
    /// A randomised partitioner found no acceptable partition in `attempts` draws.
    case attemptsExhausted(attempts: Int)
  }

  /// The file path, or the label of the component whose parameter is wrong.
  public let source: String
  /// 1-based line; nil unless the problem is at a place in a text file.
  public let line: Int?
  /// 1-based column, in characters (not bytes); nil when `line` is nil.
  public let column: Int?
  /// The offending text or value as written; empty at the end of a line or for whole-file problems.
  public let text: String
  public let kind: Kind
  /// What was expected instead.
  public let expected: String

  public init(
    source: String, line: Int? = nil, column: Int? = nil, text: String = "", kind: Kind,
    expected: String
  ) {
    self.source = source
    self.line = line
    self.column = line == nil ? nil : column
    self.text = text
    self.kind = kind
    self.expected = expected
  }

  /// A parameter error: `source: name = value, expected …`.
  static func parameter(
    _ source: String, _ name: String, _ value: some CustomStringConvertible, expected: String
  ) -> DataError {
    DataError(source: source, text: value.description, kind: .invalidParameter(name), expected: expected)
  }

  /// Throws a parameter error unless `condition` holds.
  static func require(
    _ condition: Bool, _ source: String, _ name: String, _ value: some CustomStringConvertible,
    expected: String
  ) throws(DataError) {
    guard condition else { throw parameter(source, name, value, expected: expected) }
  }

  /// The message without the location.
  public var message: String {
    switch kind {
    case .unreadable(let reason):
      return "cannot read: \(reason), expected \(expected)"
    case .empty:
      return "no documents, expected \(expected)"
    case .malformedJSON:
      let found = text.isEmpty ? "end of line" : "'\(text)'"
      return "found \(found), expected \(expected)"
    case .missingField(let field):
      return "missing field '\(field)', expected \(expected)"
    case .wrongType(let field, let found):
      return "field '\(field)' is \(found) '\(text)', expected \(expected)"
    case .invalidValue(let field):
      return "field '\(field)' = \(text), expected \(expected)"
    case .invalidParameter(let name):
      return "\(name) = \(text), expected \(expected)"
    case .stateSpaceTooLarge(let limit):
      return "\(text) exceeds the limit of \(limit), expected \(expected)"
    case .notConverged(let iterations, let residual):
      return "stationary distribution not converged after \(iterations) iterations "
        + "(residual \(residual)), expected \(expected)"
    case .insufficientDocuments(let available, let needed):
      return "\(text) has \(available) documents but \(needed) are needed, expected \(expected)"
    case .attemptsExhausted(let attempts):
      return "no acceptable partition after \(attempts) attempts, expected \(expected)"
    }
  }

  public var description: String {
    switch (line, column) {
    case (let line?, let column?): return "\(source):\(line):\(column): \(message)"
    case (let line?, nil): return "\(source):\(line): \(message)"
    default: return "\(source): \(message)"
    }
  }
}
