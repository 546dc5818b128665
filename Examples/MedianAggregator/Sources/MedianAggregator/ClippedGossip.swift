import Aggregation

/// Self-centered clipping for decentralized learning ("ClippedGossip", He, Karimireddy & Jaggi,
/// "Byzantine-robust decentralized learning via ClippedGossip", 2022): each neighbour's model is
/// pulled to within `tau` of the receiver's own before the usual weighted mix,
///
///     x_i ← W_ii x_i + Σ_j W_ij (x_i + clip(x_j − x_i, τ)),
///
/// so one Byzantine neighbour moves x_i by at most W_ij τ per round. A neighbour within τ is mixed
/// unchanged, so with a large τ the result is bit-identical to the built-in `gossip`.
///
/// It wraps the built-in `Gossip` (an `AggregatorWrapper`): everything but `combine` — who
/// communicates, which tensors are shared (`share`), checkpoints — is Gossip's.
struct ClippedGossip: AggregatorWrapper {
  static let name = "clipped-gossip"

  var wrapped: Gossip
  let tau: Double

  init(options: AggregatorOptions) throws(AggregatorError) {
    tau = try options.requiredDouble("tau", in: 1e-12...1e12)
    wrapped = try Gossip(options: options)
  }

  func combine(own: [Float], selfWeight: Double, neighbours: [(contribution: Contribution, weight: Double)], context: AggregationContext)
    -> [Float]
  {
    let clipped = neighbours.map { neighbour -> (contribution: Contribution, weight: Double) in
      let values = neighbour.contribution.values
      var distance = 0.0
      for i in 0..<own.count { distance += (Double(values[i]) - Double(own[i])) * (Double(values[i]) - Double(own[i])) }
      distance = distance.squareRoot()
      guard distance > tau else { return neighbour }
      let scale = tau / distance
      let pulled = (0..<own.count).map { Float(Double(own[$0]) + scale * (Double(values[$0]) - Double(own[$0]))) }
      let contribution = Contribution(
        client: neighbour.contribution.client, values: pulled, weight: neighbour.contribution.weight,
        staleness: neighbour.contribution.staleness)
      return (contribution, neighbour.weight)
    }
    return weightedCombination(own: own, selfWeight: selfWeight, neighbours: clipped)
  }
}
