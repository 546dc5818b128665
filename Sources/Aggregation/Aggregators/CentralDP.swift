/// Central differential privacy with a trusted aggregator (DP-FedAvg, McMahan et al. 2018; the
/// CDP baseline of Decor): clients clip their update to norm C and send it; the server averages
/// with uniform weights — so one client moves the sum by at most 2C — and adds Gaussian noise of
/// std σ to the sum (`AggregationContext.centralNoise`, from the `privacy` section), i.e. each of
/// the m clients' share of the noise is σ/√m.
public struct CentralDP: Aggregator {
  public static let name = "cdp"

  public init(options: AggregatorOptions) throws(AggregatorError) {}

  public var communication: Communication { .server }

  public var privacy: PrivacyMechanism { .central }

  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    guard !contributions.isEmpty else { return }
    let ordered = contributions.sorted { $0.client < $1.client }
    let count = global.count
    var sum = [Double](repeating: 0, count: count)
    for contribution in ordered {
      precondition(contribution.values.count == count, "contribution of client \(contribution.client) has the wrong size")
      contribution.values.withUnsafeBufferPointer { values in
        for i in 0..<count { sum[i] += Double(values[i]) }
      }
    }
    var stream = context.randomStream(.noise)
    let m = Double(ordered.count)
    for i in 0..<count {
      let noise = context.centralNoise > 0 ? context.centralNoise * stream.nextGaussian() : 0
      global[i] = Float((sum[i] + noise) / m)
    }
  }
}
