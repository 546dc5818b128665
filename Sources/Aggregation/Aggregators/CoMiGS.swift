/// CoMiGS (Fan, Messmer, Doikov, Jaggi, "On-Device Collaborative Language Modeling via a Mixture
/// of Generalists and Specialists", ICML 2025; see docs/aggregators.md): the server takes the
/// uniform average of the shared tensors — the attention LoRA and the generalist experts — and
/// every client overwrites its copies at the start of every round (round 0 included, so all start
/// from the same generalists). Specialist experts (`….mlp.specialists.…`) and routers
/// (`….mlp.router.weight`) never leave the device. Needs a model with `model.mixture`; the
/// variants are the mixture's shape (1G1S: 2 experts, 1 generalist; 2G: 2 generalists; 2S: none)
/// and `schedule.router.data` (validation: bi-level; train: pFedMoE-style joint routing).
public struct CoMiGS: Aggregator {
  public static let name = "comigs"

  public init(options: AggregatorOptions) throws(AggregatorError) { try options.rejectUnknown() }

  public var communication: Communication { .server }

  /// Everything but specialists and routers: the attention LoRA and the generalists.
  public func shares(tensor name: String) -> Bool {
    !name.contains(".mlp.specialists.") && !name.hasSuffix(".mlp.router.weight")
  }

  public func streamingWeight(of contribution: Contribution) -> Double? { 1 }

  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    finish(WeightedSum(contributions, dimension: global.count) { _ in 1 }, global: &global, context: context)
  }

  public mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {
    sum.writeMean(into: &global)
  }
}
