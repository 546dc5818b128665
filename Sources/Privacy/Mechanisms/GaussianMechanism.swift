/// The Gaussian mechanism with ℓ₂-sensitivity 1 and noise N(0, σ² I): (α, α/(2σ²))-RDP at every
/// order α (Mironov 2017, Prop. 7). σ is the noise multiplier (noise std / sensitivity).
public enum GaussianMechanism {
  /// α/(2σ²); +∞ for σ = 0.
  public static func rdp(order: Double, noiseMultiplier sigma: Double) throws(AccountantError) -> Double {
    try AccountantError.requireOrder(order)
    try AccountantError.requireNonNegative(sigma, name: "noise multiplier")
    return sigma == 0 ? .infinity : order / (2 * sigma * sigma)
  }

  /// The curve α/(2σ²) on `orders`.
  public static func curve(
    noiseMultiplier sigma: Double, orders: [Double] = RDPCurve.defaultOrders
  ) throws(AccountantError) -> RDPCurve {
    var values: [Double] = []
    for order in orders { values.append(try rdp(order: order, noiseMultiplier: sigma)) }
    return try RDPCurve(orders: orders, values: values)
  }
}

/// DP-SGD accounting: `steps` compositions of the Poisson-subsampled Gaussian mechanism,
/// converted to (ε, δ) — what dp-accounting's `RdpAccountant` reports for
/// `SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(σ)), T)`.
public enum DPSGDAccountant {
  /// ε(δ) over `orders` (dp-accounting's default list unless given), with the improved
  /// conversion of `RDPConversion.epsilon`.
  public static func epsilon(
    noiseMultiplier sigma: Double, samplingRate q: Double, steps: Int, delta: Double,
    orders: [Double] = RDPCurve.defaultOrders
  ) throws(AccountantError) -> PrivacyLoss {
    try AccountantError.requireProbability(delta, name: "delta")
    let curve = try PoissonSubsampledGaussian.curve(samplingRate: q, noiseMultiplier: sigma, orders: orders)
    return try curve.composed(steps: steps).epsilon(delta: delta)
  }
}
