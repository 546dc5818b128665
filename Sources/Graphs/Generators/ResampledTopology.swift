import Randomness

/// A time-varying topology that draws a fresh random graph every round.
///
/// Round t uses the stream (seed, purpose, round: t), so any round's graph can be rebuilt on its
/// own (after a resume, or on another machine) and is the same whatever happened before.
///
/// ```swift
/// let topology = ResampledTopology(seed: 42) { (random) throws(GraphError) in
///   try Graph.randomRegular(n: 32, k: 4, using: &random)
/// }
/// let g7 = try topology.graph(round: 7)
/// ```
public struct ResampledTopology: Sendable {
  /// Draws one graph from a stream.
  public typealias Generator = @Sendable (inout RandomStream) throws(GraphError) -> Graph

  public let seed: UInt64
  public let purpose: StreamPurpose
  public let generate: Generator

  public init(seed: UInt64, purpose: StreamPurpose = .graph, generate: @escaping Generator) {
    self.seed = seed
    self.purpose = purpose
    self.generate = generate
  }

  /// The graph of round `round` (0...UInt32.max, the stream's round coordinate).
  public func graph(round: Int) throws(GraphError) -> Graph {
    try Graph.resampled(round: round, seed: seed, purpose: purpose, generate: generate)
  }
}

extension Graph {
  /// The graph that `generate` draws from the stream (seed, purpose, round: `round`).
  ///
  /// - Throws: `.invalidParameter` if `round` is outside 0...UInt32.max; whatever `generate` throws.
  public static func resampled(
    round: Int, seed: UInt64, purpose: StreamPurpose = .graph,
    generate: (inout RandomStream) throws(GraphError) -> Graph
  ) throws(GraphError) -> Graph {
    guard let streamRound = UInt32(exactly: round) else {
      throw .invalidParameter(
        generator: "resampled", parameter: "round", value: "\(round)",
        expected: "a round in 0...\(UInt32.max)")
    }
    var random = RandomStream(seed: seed, purpose: purpose, round: streamRound)
    return try generate(&random)
  }
}
