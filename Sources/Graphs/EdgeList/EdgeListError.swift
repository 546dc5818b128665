/// A problem in an edge-list file, located at file:line:column and naming the offending text and
/// what was expected there, e.g. `edges.txt:7:3: '12' is out of range 0..<10`.
public struct EdgeListError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong.
  public enum Kind: Equatable, Sendable {
    /// Text that does not fit the grammar (not a node id, missing id, trailing text, …).
    case malformed
    /// A node id at or beyond the node count.
    case outOfRange(nodeCount: Int)
    /// A node id (or declared count) beyond the parser's `maximumNodeCount`.
    case tooLarge(limit: Int)
    /// An edge from a node to itself.
    case selfLoop
    /// An edge already listed (in either orientation) on `firstLine`.
    case duplicate(firstLine: Int)
    /// A declared node count below 1.
    case invalidNodeCount
    /// The file declares a node count other than the one the caller requires.
    case nodeCountMismatch(declared: Int, required: Int)
    /// No edges and no node count: the graph's size is unknown.
    case empty
    /// The caller requires a connected graph; `representatives` holds the smallest node of each of
    /// the first few components.
    case disconnected(components: Int, representatives: [Int])
    /// The file could not be read.
    case unreadable(reason: String)
  }

  /// The file name (or a label such as "<scenario topology>") the text came from.
  public let file: String
  /// 1-based line; nil for problems of the whole file (empty, disconnected, unreadable).
  public let line: Int?
  /// 1-based column, in characters; nil when `line` is nil.
  public let column: Int?
  /// The offending text as written; empty at the end of a line or for whole-file problems.
  public let text: String
  public let kind: Kind
  /// What the parser expected instead.
  public let expected: String

  public init(file: String, line: Int?, column: Int?, text: String, kind: Kind, expected: String) {
    self.file = file
    self.line = line
    self.column = column
    self.text = text
    self.kind = kind
    self.expected = expected
  }

  /// The message without the location.
  public var message: String {
    switch kind {
    case .malformed:
      let found = text.isEmpty ? "end of line" : "'\(text)'"
      return "found \(found), expected \(expected)"
    case .outOfRange(let nodeCount):
      return "'\(text)' is out of range 0..<\(nodeCount)"
    case .tooLarge:
      return "'\(text)' is too large, expected \(expected)"
    case .selfLoop:
      return "'\(text)' is a self-loop, expected \(expected)"
    case .duplicate(let firstLine):
      return "'\(text)' duplicates the edge on line \(firstLine), expected \(expected)"
    case .invalidNodeCount:
      return "'\(text)' is not a valid node count, expected \(expected)"
    case .nodeCountMismatch(let declared, let required):
      return "'\(text)' declares \(declared) nodes, expected \(required) (\(expected))"
    case .empty:
      return "no edges and no node count, expected \(expected)"
    case .disconnected(let components, let representatives):
      let listed = representatives.map(String.init).joined(separator: ", ")
      let more = components > representatives.count ? ", …" : ""
      return "graph has \(components) connected components (one node from each: \(listed)\(more)), "
        + "expected \(expected)"
    case .unreadable(let reason):
      return "cannot read: \(reason)"
    }
  }

  public var description: String {
    switch (line, column) {
    case (let line?, let column?): return "\(file):\(line):\(column): \(message)"
    case (let line?, nil): return "\(file):\(line): \(message)"
    default: return "\(file): \(message)"
    }
  }
}
