import StateArchive

/// An aggregator built around another one — clipping, logging, an attack — that overrides what
/// it changes and forwards every other requirement of ``Aggregator`` to ``wrapped``.
///
/// Conforming to `Aggregator` alone, a wrapper would have to forward all thirteen requirements by
/// hand, and any it missed would fall back to the protocol's default without a word. These
/// forwards are the defaults of `AggregatorWrapper` instead, so a wrapper writes only its name,
/// its initialiser and its changes:
///
/// ```swift
/// struct ClippedGossip: AggregatorWrapper {
///   static let name = "clipped-gossip"
///   var wrapped: Gossip
///   let tau: Double
///   init(options: AggregatorOptions) throws(AggregatorError) {
///     tau = try options.requiredDouble("tau", in: 1e-12...1e12)
///     wrapped = try Gossip(options: options)
///   }
///   func combine(own: [Float], selfWeight: Double, neighbours: …, context: AggregationContext) -> [Float] { … }
/// }
/// ```
///
/// When a requirement is added to `Aggregator`, its forward is added here (and to the probe in
/// `AggregatorWrapperTests`, which checks every forward against the wrapped aggregator).
public protocol AggregatorWrapper: Aggregator {
  associatedtype Wrapped: Aggregator
  /// The aggregator every requirement the wrapper does not implement is forwarded to.
  var wrapped: Wrapped { get set }
}

extension AggregatorWrapper {
  // What the simulator sets up.
  public var communication: Communication { wrapped.communication }
  public func shares(tensor name: String) -> Bool { wrapped.shares(tensor: name) }
  public var privacy: PrivacyMechanism { wrapped.privacy }
  public var initialisation: ModelInitialisation { wrapped.initialisation }
  public var evidence: EvidenceRequest { wrapped.evidence }
  public func exchanges(round: Int) -> Bool { wrapped.exchanges(round: round) }
  public var proximalStrength: Double { wrapped.proximalStrength }
  public func validate(_ setup: AggregationSetup) throws(AggregatorError) { try wrapped.validate(setup) }

  // Server side.
  public var personalisesOnServer: Bool { wrapped.personalisesOnServer }
  public func streamingWeight(of contribution: Contribution) -> Double? { wrapped.streamingWeight(of: contribution) }
  public mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {
    wrapped.finish(sum, global: &global, context: context)
  }
  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    wrapped.aggregate(contributions, global: &global, context: context)
  }

  // Neighbour side.
  public func mixingWeights(_ input: MixingInput) -> MixingRow { wrapped.mixingWeights(input) }
  public var recordsMixingWeights: Bool { wrapped.recordsMixingWeights }
  public func combine(
    own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext
  ) -> [Float] {
    wrapped.combine(own: own, selfWeight: selfWeight, neighbours: neighbours, context: context)
  }

  // State between rounds.
  public func archive(to writer: inout ArchiveWriter) { wrapped.archive(to: &writer) }
  public mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) { try wrapped.restore(from: &reader) }
}
