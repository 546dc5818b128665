/// An undirected edge {i, j} of a simple graph, stored with `i < j`.
///
/// Edges order lexicographically by (i, j), which is the order `Graph.edges` lists them in.
public struct Edge: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The smaller endpoint.
  public let i: Int
  /// The larger endpoint.
  public let j: Int

  /// The edge between `a` and `b`, in either orientation. `a` and `b` must differ; `Graph`
  /// rejects self-loops before it makes edges, so this is only a programming error.
  public init(_ a: Int, _ b: Int) {
    precondition(a != b, "an edge joins two different nodes")
    (i, j) = a < b ? (a, b) : (b, a)
  }

  /// Whether `node` is one of the endpoints.
  public func contains(_ node: Int) -> Bool { node == i || node == j }

  public static func < (lhs: Edge, rhs: Edge) -> Bool {
    lhs.i != rhs.i ? lhs.i < rhs.i : lhs.j < rhs.j
  }

  public var description: String { "\(i)-\(j)" }
}
