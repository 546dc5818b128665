import Foundation

/// Reading and writing graphs as edge lists.
///
/// The format, one item per line:
/// ```
/// # comment lines and blank lines are ignored; so is anything after '#'
/// nodes 10          # optional node count ('nodes: 10' and 'nodes=10' too), before any edge
/// 0 1               # an edge: two node ids separated by spaces or tabs,
/// 1,2               #   a comma,
/// 2-3               #   or a hyphen (spaces around either are allowed)
/// ```
/// Node ids are non-negative decimal integers. Without a declared or caller-supplied node count,
/// n = (largest id) + 1. Self-loops, repeated edges (in either orientation), ids outside 0..<n and
/// anything else that does not fit are `EdgeListError`s at the offending line and column.
public enum EdgeList {
  /// Nodes ids at or above this are rejected unless the caller raises the limit; a typo such as
  /// `1000000000` would otherwise allocate gigabytes.
  public static let defaultMaximumNodeCount = 1 << 24

  /// Parses an edge list.
  ///
  /// - Parameters:
  ///   - text: the contents.
  ///   - file: the name used in error messages.
  ///   - nodeCount: the node count the caller requires; a different declared count is an error.
  ///   - requireConnected: reject a disconnected graph (the error lists a node of each component).
  ///   - maximumNodeCount: the largest acceptable node count.
  public static func parse(
    _ text: String, file: String = "<edge list>", nodeCount: Int? = nil,
    requireConnected: Bool = false, maximumNodeCount: Int = defaultMaximumNodeCount
  ) throws(EdgeListError) -> Graph {
    try parse(
      bytes: Array(text.utf8), file: file, nodeCount: nodeCount, requireConnected: requireConnected,
      maximumNodeCount: maximumNodeCount)
  }

  /// Parses an edge list given as the bytes of a file (UTF-8; other bytes are reported, not
  /// trusted); see `parse`.
  public static func parse(
    bytes: [UInt8], file: String = "<edge list>", nodeCount: Int? = nil,
    requireConnected: Bool = false, maximumNodeCount: Int = defaultMaximumNodeCount
  ) throws(EdgeListError) -> Graph {
    var parser = EdgeListParser(
      file: file, requiredNodeCount: nodeCount, maximumNodeCount: maximumNodeCount)
    return try parser.parse(bytes, requireConnected: requireConnected)
  }

  /// Reads and parses the edge list at `path` (see `parse`); `path` names the file in errors.
  public static func read(
    path: String, nodeCount: Int? = nil, requireConnected: Bool = false,
    maximumNodeCount: Int = defaultMaximumNodeCount
  ) throws(EdgeListError) -> Graph {
    guard let data = FileManager.default.contents(atPath: path) else {
      let exists = FileManager.default.fileExists(atPath: path)
      let reason = exists ? "permission denied or not a file" : "no such file"
      throw EdgeListError(
        file: path, line: nil, column: nil, text: "", kind: .unreadable(reason: reason),
        expected: "a readable file")
    }
    return try parse(
      bytes: [UInt8](data), file: path, nodeCount: nodeCount, requireConnected: requireConnected,
      maximumNodeCount: maximumNodeCount)
  }

  /// The edge list of `graph`: a `nodes n` line, then one `i j` line per edge with i < j, in
  /// order. `parse` reads it back to an equal graph.
  public static func format(_ graph: Graph) -> String {
    var text = "nodes \(graph.nodeCount)\n"
    for edge in graph.edges { text += "\(edge.i) \(edge.j)\n" }
    return text
  }
}
