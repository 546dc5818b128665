import Randomness

extension StreamPurpose {
  /// Random topologies (Erdős–Rényi, random regular, Watts–Strogatz, Barabási–Albert).
  public static let graph = StreamPurpose("graph")
}

extension Graph {
  /// Throws `GraphError.invalidParameter` unless `condition` holds.
  static func require(
    _ condition: Bool, _ generator: String, _ parameter: String, _ value: some CustomStringConvertible,
    expected: String
  ) throws(GraphError) {
    guard condition else {
      throw .invalidParameter(
        generator: generator, parameter: parameter, value: value.description, expected: expected)
    }
  }

  /// Runs `attempt` until it returns a graph that is connected (when `requireConnected`), at most
  /// `maxAttempts` times. `attempt` returns nil for a try that failed for its own reasons (e.g. a
  /// pairing that got stuck); those count against the budget too.
  static func retrying(
    _ generator: String, maxAttempts: Int, requireConnected: Bool, requirement: String,
    _ attempt: () throws(GraphError) -> Graph?
  ) throws(GraphError) -> Graph {
    try require(maxAttempts >= 1, generator, "maxAttempts", maxAttempts, expected: "at least 1")
    for _ in 0..<maxAttempts {
      if let graph = try attempt(), !requireConnected || graph.isConnected { return graph }
    }
    throw .attemptsExhausted(generator: generator, attempts: maxAttempts, requirement: requirement)
  }

  /// Fisher–Yates shuffle driven by a random stream (deterministic for given stream coordinates).
  static func shuffle(_ values: inout [Int], using random: inout RandomStream) {
    guard values.count > 1 else { return }
    for k in stride(from: values.count - 1, to: 0, by: -1) {
      values.swapAt(k, random.nextInt(below: k + 1))
    }
  }
}
