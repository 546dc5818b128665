/// Which amplification-by-subsampling theorem turns the per-round curve into an example-level one.
public enum SubsamplingBound: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Wang, Balle, Kasiviswanathan (AISTATS 2019), Theorem 9: a batch of b of the user's m
  /// examples drawn uniformly without replacement (γ = b/m), "replace one example" neighbours.
  /// Applies to any base curve; here the base is α ρ_b. See `SubsampledRDP.withoutReplacement`.
  case withoutReplacement = "without-replacement"
  /// Mironov, Talwar, Zhang (2019): each example enters the batch independently with
  /// probability q, "add or remove one example" neighbours, for the scalar Gaussian mechanism
  /// with the same RDP α ρ_b (noise multiplier 1/√(2ρ_b)). ρ_b uses the replace-one sensitivity
  /// 2C/b, twice the add/remove sensitivity C/b of the fixed-denominator average, so the bound
  /// is conservative. See `PoissonSubsampledGaussian`.
  case poisson = "poisson"

  public var description: String { rawValue }
}

/// Example-level privacy of Decor with per-example clipping: each user clips every example of a
/// batch of b to norm C and averages, so one example moves the update by at most 2C/b and the
/// per-round loss is ρ_b = ρ/b² (ρ computed with clip C). The batch is subsampled at rate q; the
/// subsampled curve ε′(α) at the integer orders 2…256 is composed over T rounds and converted with
/// ε = min_α [T ε′(α) + ln(1/δ)/(α − 1)] (Mironov 2017, Prop. 3).
public struct ExampleLevelGuarantee: Sendable, Hashable {
  public let bound: SubsamplingBound
  /// b (the expected batch size under Poisson sampling).
  public let batchSize: Double
  /// q (γ = b/m without replacement).
  public let samplingRate: Double
  public let steps: Int
  public let delta: Double
  /// ρ_b = ρ/b²: the per-round RDP slope of a batch that surely contains the example.
  public let rhoPerBatch: Double
  /// The subsampled per-round curve ε′(α), α = 2…256.
  public let curve: RDPCurve
  /// ε(δ) after T rounds.
  public let epsilon: Double
  /// The minimising integer order.
  public let order: Int
}

extension ExampleLevelGuarantee {
  /// The subsampled per-round curve ε′(α), α = 2…256, of a user whose user-level per-round loss
  /// (with clip C) is `rho`, when each example is clipped to C and a batch of b averaged.
  public static func roundCurve(rho: Double, batchSize: Double, samplingRate q: Double, bound: SubsamplingBound) throws(AccountantError)
    -> RDPCurve
  {
    try AccountantError.requirePositive(batchSize, name: "batch size")
    try AccountantError.requireRate(q, name: "sampling rate", allowZero: false)
    let rhoB = rho / (batchSize * batchSize)
    switch bound {
    case .withoutReplacement:
      return try SubsampledRDP.withoutReplacement(samplingRate: q, maximumOrder: 256) { Double($0) * rhoB }
    case .poisson:
      let sigma = 1 / (2 * rhoB).squareRoot()
      let poisson = try PoissonSubsampledGaussian.curve(samplingRate: q, noiseMultiplier: sigma, orders: RDPCurve.integerOrders)
      return RDPCurve(uncheckedOrders: poisson.orders, values: zip(poisson.orders, poisson.values).map { min($1, $0 * rhoB) })
    }
  }
}

extension SecLDPStepLoss {
  /// The example-level guarantee after `steps` rounds at `delta`.
  ///
  /// - Throws: `.invalidParameter` for b ≤ 0, q ∉ (0, 1], T < 1 or δ ∉ (0, 1).
  public func exampleLevel(
    batchSize: Double, samplingRate q: Double, steps: Int, delta: Double, bound: SubsamplingBound
  ) throws(AccountantError) -> ExampleLevelGuarantee {
    try AccountantError.requirePositive(batchSize, name: "batch size")
    try AccountantError.requireRate(q, name: "sampling rate", allowZero: false)
    try AccountantError.requireSteps(steps)
    try AccountantError.requireProbability(delta, name: "delta")
    let rhoB = rho / (batchSize * batchSize)
    let curve = try ExampleLevelGuarantee.roundCurve(rho: rho, batchSize: batchSize, samplingRate: q, bound: bound)
    let loss = try curve.composed(steps: steps).classicEpsilon(delta: delta)
    return ExampleLevelGuarantee(
      bound: bound, batchSize: batchSize, samplingRate: q, steps: steps, delta: delta, rhoPerBatch: rhoB,
      curve: curve, epsilon: loss.epsilon, order: Int(loss.order))
  }
}
