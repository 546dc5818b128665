import StateArchive
import Testing

@testable import Aggregation

/// A wrapper forwards every requirement it does not implement: a probe that answers each one
/// differently from the protocol's defaults, wrapped by a wrapper that implements nothing,
/// must answer exactly as the probe does.
@Suite struct AggregatorWrapperTests {
  /// Non-default answers for every requirement of `Aggregator`.
  struct Probe: Aggregator {
    static let name = "zz-test-probe"
    var state = 0.0
    init(options: AggregatorOptions) throws(AggregatorError) {}
    var communication: Communication { .neighbours }
    func shares(tensor name: String) -> Bool { name.hasPrefix("a") }
    var privacy: PrivacyMechanism { .correlated }
    var initialisation: ModelInitialisation { .perClient }
    var evidence: EvidenceRequest { EvidenceRequest(kinds: .validationLoss) }
    func exchanges(round: Int) -> Bool { round % 2 == 0 }
    func mixingWeights(_ input: MixingInput) -> MixingRow { MixingRow([(input.receiver, 0.25), (99, 0.75)]) }
    var recordsMixingWeights: Bool { true }
    var personalisesOnServer: Bool { true }
    func streamingWeight(of contribution: Contribution) -> Double? { 2 * contribution.weight }
    mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {
      state += 1
      global = sum.sum.map { Float($0) + 7 }
    }
    var proximalStrength: Double { 0.5 }
    mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
      state += 10
      global = contributions.last?.values ?? []
    }
    func combine(own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext)
      -> [Float]
    { own.map { -$0 } }
    func validate(_ setup: AggregationSetup) throws(AggregatorError) {
      throw AggregatorError(aggregator: Self.name, option: "probe", value: "\(setup.clients)", expected: "nothing")
    }
    func archive(to writer: inout ArchiveWriter) { writer.write(state) }
    mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) { state = try reader.readDouble() }
  }

  /// Implements nothing but its name and initialiser.
  struct Passthrough: AggregatorWrapper {
    static let name = "zz-test-passthrough"
    var wrapped: Probe
    init(options: AggregatorOptions) throws(AggregatorError) { wrapped = try Probe(options: options) }
  }

  @Test func everyRequirementIsForwarded() throws {
    let options = AggregatorOptions(aggregator: "zz-test-passthrough")
    var probe = try Probe(options: options), wrapper = try Passthrough(options: options)
    #expect(wrapper.communication == probe.communication)
    #expect(wrapper.shares(tensor: "a.weight") && !wrapper.shares(tensor: "b.weight"))
    #expect(wrapper.privacy == probe.privacy && wrapper.initialisation == probe.initialisation && wrapper.evidence == probe.evidence)
    #expect(!wrapper.exchanges(round: 1) && wrapper.exchanges(round: 2))
    let context = AggregationContext(round: 1, seed: 2, receiver: 3)
    let a = Contribution(client: 4, values: [1, 2], weight: 3), b = Contribution(client: 5, values: [3, 4], weight: 1)
    let input = MixingInput(
      receiver: 3, own: [0, 0], received: [a], topology: MixingRow([(3, 0.5), (4, 0.5)]), evidence: PeerEvidence(), context: context)
    #expect(wrapper.mixingWeights(input) == probe.mixingWeights(input))
    #expect(wrapper.recordsMixingWeights && wrapper.personalisesOnServer && wrapper.proximalStrength == 0.5)
    #expect(wrapper.streamingWeight(of: a) == 6)
    var sum = WeightedSum(dimension: 2)
    sum.add(a, weight: 1)
    var fromWrapper: [Float] = [], fromProbe: [Float] = []
    wrapper.finish(sum, global: &fromWrapper, context: context)
    probe.finish(sum, global: &fromProbe, context: context)
    #expect(fromWrapper == fromProbe && fromWrapper == [8, 9])
    wrapper.aggregate([a, b], global: &fromWrapper, context: context)
    probe.aggregate([a, b], global: &fromProbe, context: context)
    #expect(fromWrapper == [3, 4] && fromProbe == fromWrapper)
    #expect(wrapper.combine(own: [1, -2], selfWeight: 1, neighbours: [], context: context) == [-1, 2])
    #expect(throws: AggregatorError.self) {
      try wrapper.validate(AggregationSetup(clients: 4, schedule: .synchronousServer(clientsPerRound: 2)))
    }
    // State goes through the wrapped aggregator: 11 after finish + aggregate, restored exactly.
    var writer = ArchiveWriter()
    wrapper.archive(to: &writer)
    var restored = try Passthrough(options: options)
    var reader = ArchiveReader(writer.bytes)
    try restored.restore(from: &reader)
    #expect(restored.wrapped.state == 11 && wrapper.wrapped.state == probe.state)
  }
}
