/// Why a graph could not be built: a bad edge list, a generator parameter out of its domain, or a
/// random generator that did not succeed within its attempt budget.
///
/// Edge cases name the offending edge as it was given (orientation preserved) and its position in
/// the input sequence, so a caller that read the edges from a file can map it back to a line.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A graph needs at least one node.
  case invalidNodeCount(Int)
  /// Edge number `index` (0-based) joins `node` to itself.
  case selfLoop(node: Int, index: Int)
  /// Edge number `index` names a node outside `0..<nodeCount`.
  case nodeOutOfRange(i: Int, j: Int, index: Int, nodeCount: Int)
  /// Edge number `index` repeats edge number `firstIndex` (in either orientation).
  case duplicateEdge(i: Int, j: Int, index: Int, firstIndex: Int)
  /// A generator parameter is outside its domain.
  case invalidParameter(generator: String, parameter: String, value: String, expected: String)
  /// A random generator produced no acceptable graph within `attempts` tries; `requirement` says
  /// what every try failed (e.g. "connected", "simple").
  case attemptsExhausted(generator: String, attempts: Int, requirement: String)

  public var description: String {
    switch self {
    case .invalidNodeCount(let n):
      return "invalid node count \(n), expected at least 1"
    case .selfLoop(let node, let index):
      return "edge #\(index) (\(node), \(node)) is a self-loop, expected two different nodes"
    case .nodeOutOfRange(let i, let j, let index, let nodeCount):
      let bad = (i < 0 || i >= nodeCount) ? i : j
      return "edge #\(index) (\(i), \(j)): node \(bad) is out of range 0..<\(nodeCount)"
    case .duplicateEdge(let i, let j, let index, let firstIndex):
      return "edge #\(index) (\(i), \(j)) duplicates edge #\(firstIndex)"
    case .invalidParameter(let generator, let parameter, let value, let expected):
      return "\(generator): \(parameter) = \(value), expected \(expected)"
    case .attemptsExhausted(let generator, let attempts, let requirement):
      return "\(generator): no \(requirement) graph after \(attempts) attempts"
    }
  }
}
