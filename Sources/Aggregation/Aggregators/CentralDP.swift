/// Central differential privacy with a trusted aggregator (DP-FedAvg, McMahan et al. 2018; the
/// CDP baseline of Decor): clients clip their update to norm C and send it; the server averages
/// with uniform weights — so one client moves the sum by at most 2C — and adds Gaussian noise of
/// std σ to the sum (`AggregationContext.centralNoise`, from the `privacy` section), i.e. each of
/// the m clients' share of the noise is σ/√m.
public struct CentralDP: Aggregator {
  public static let name = "cdp"

  public let sharing: TensorFilter

  public init(options: AggregatorOptions) throws(AggregatorError) { sharing = try TensorFilter(options: options) }

  public var communication: Communication { .server }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }

  public var privacy: PrivacyMechanism { .central }

  public func streamingWeight(of contribution: Contribution) -> Double? { 1 }

  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    finish(WeightedSum(contributions, dimension: global.count) { _ in 1 }, global: &global, context: context)
  }

  public mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {
    guard sum.count > 0 else { return }
    var stream = context.randomStream(.noise)
    let m = Double(sum.count)
    for i in 0..<global.count {
      let noise = context.centralNoise > 0 ? context.centralNoise * stream.nextGaussian() : 0
      global[i] = Float((sum.sum[i] + noise) / m)
    }
  }
}
