/// Noise levels that meet a target (ε, δ) after T rounds.
public struct SecLDPCalibration: Sendable, Hashable {
  public let epsilon: Double
  public let delta: Double
  public let steps: Int
  /// ρ* = (√(ln(1/δ) + ε) − √(ln(1/δ)))² / T.
  public let targetRho: Double
  /// σ with σ_cor = 0 (local DP): C √(2/ρ*).
  public let ldpSigma: Double
  /// Per-user σ at the CDP level of the honest users: C √(2/(n_H ρ*)).
  public let cdpSigma: Double
  /// n_H used for `cdpSigma`.
  public let honestCount: Int
  /// σ_cor for the given σ_cdp, when one was given.
  public let correlated: CorrelatedNoiseCalibration?
}

/// The smallest σ_cor that brings ρ(σ_cdp, σ_cor) down to a target, found by bisection (ρ is
/// non-increasing in σ_cor).
public struct CorrelatedNoiseCalibration: Sendable, Hashable {
  public enum Outcome: Sendable, Hashable {
    /// σ_cdp alone (σ_cor = 0, the LDP level) already meets the target.
    case notNeeded
    /// The bisection's upper end: ρ(σ_cdp, sigmaCor) ≤ ρ*, within the relative tolerance of the
    /// smallest such σ_cor.
    case found(sigmaCor: Double)
    /// Even σ_cor → ∞ cannot reach the target (`floorRho` ≥ ρ*), or the target is so close to
    /// the floor that the σ_cor needed makes Σ_H numerically singular.
    case unreachable
  }

  public let sigmaCDP: Double
  public let outcome: Outcome
  /// ρ at the reported σ_cor (σ_cor = 0 for `.notNeeded`, the floor for `.unreachable`).
  public let rho: Double
  /// lim_{σ_cor→∞} ρ = 2C²/σ_cdp² · max over components K of G_H of 1/|K| (the CDP level
  /// 2C²/(n_H σ_cdp²) when G_H is connected).
  public let floorRho: Double

  /// The σ_cor to use: 0 when not needed, nil when unreachable.
  public var sigmaCor: Double? {
    switch outcome {
    case .notNeeded: return 0
    case .found(let sigma): return sigma
    case .unreachable: return nil
    }
  }
}

extension SecLDPAccountant {
  /// ρ*, the LDP and CDP noise levels for (ε, δ, T) and, when `sigmaCDP` is given, the σ_cor
  /// that reaches ρ* with it against `curious`.
  public func calibrate(
    epsilon: Double, delta: Double, steps: Int, clip: Double, curious: CuriousUsers,
    sigmaCDP: Double? = nil, relativeTolerance: Double = 1e-10
  ) throws(AccountantError) -> SecLDPCalibration {
    let target = try SecLDP.targetRho(epsilon: epsilon, delta: delta, steps: steps)
    let honestCount: Int
    switch curious {
    case .users(let ids): honestCount = try HonestSubgraph(graph: graph, curious: ids).count
    case .worstSingle:
      guard graph.nodeCount >= 2 else { throw .noHonestUsers(nodeCount: graph.nodeCount, curiousCount: 1) }
      honestCount = graph.nodeCount - 1
    }
    let correlated = try sigmaCDP.map { (s) throws(AccountantError) in
      try calibrateCorrelatedNoise(
        targetRho: target, sigmaCDP: s, clip: clip, curious: curious, relativeTolerance: relativeTolerance)
    }
    return SecLDPCalibration(
      epsilon: epsilon, delta: delta, steps: steps, targetRho: target,
      ldpSigma: try SecLDP.ldpSigma(rho: target, clip: clip),
      cdpSigma: try SecLDP.cdpSigma(rho: target, clip: clip, honestCount: honestCount),
      honestCount: honestCount, correlated: correlated)
  }

  /// The smallest σ_cor (to `relativeTolerance`) with ρ(σ_cdp, σ_cor) ≤ `targetRho`.
  ///
  /// Brackets by doubling from σ_cor = σ_cdp, then bisects; returns the upper end, so the
  /// guarantee at the returned σ_cor always meets the target.
  public func calibrateCorrelatedNoise(
    targetRho: Double, sigmaCDP: Double, clip: Double, curious: CuriousUsers,
    relativeTolerance: Double = 1e-10
  ) throws(AccountantError) -> CorrelatedNoiseCalibration {
    try AccountantError.requirePositive(targetRho, name: "target rho")
    try AccountantError.requirePositive(sigmaCDP, name: "sigma_cdp")
    guard relativeTolerance > 0 && relativeTolerance < 1 else {
      throw .invalid("relative tolerance", relativeTolerance, expected: "a number in (0, 1)")
    }
    func rhoAt(_ sigmaCor: Double) throws(AccountantError) -> Double {
      try rho(noise: DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, clip: clip), curious: curious)
    }
    let floor = try floorRho(sigmaCDP: sigmaCDP, clip: clip, curious: curious)
    let atZero = try rhoAt(0)
    if atZero <= targetRho {
      return CorrelatedNoiseCalibration(sigmaCDP: sigmaCDP, outcome: .notNeeded, rho: atZero, floorRho: floor)
    }
    if floor >= targetRho {
      return CorrelatedNoiseCalibration(sigmaCDP: sigmaCDP, outcome: .unreachable, rho: floor, floorRho: floor)
    }
    var low = 0.0, high = sigmaCDP
    var rhoHigh = try rhoAt(high)
    while rhoHigh > targetRho {
      low = high
      high *= 2
      do {
        rhoHigh = try rhoAt(high)
      } catch .singularCovariance {
        // σ_cor/σ_cdp so large that Σ_H is numerically singular: the target sits too close to
        // the floor to be reached in floating point.
        return CorrelatedNoiseCalibration(sigmaCDP: sigmaCDP, outcome: .unreachable, rho: floor, floorRho: floor)
      }
    }
    while high - low > relativeTolerance * high {
      let middle = low == 0 && high > 1e-300 ? high / 2 : (low + high) / 2
      let rhoMiddle = try rhoAt(middle)
      if rhoMiddle <= targetRho {
        high = middle
        rhoHigh = rhoMiddle
      } else {
        low = middle
      }
    }
    return CorrelatedNoiseCalibration(sigmaCDP: sigmaCDP, outcome: .found(sigmaCor: high), rho: rhoHigh, floorRho: floor)
  }

  /// lim_{σ_cor→∞} ρ: Σ_H⁻¹ tends to the projection onto the component indicators divided by
  /// σ_cdp², whose diagonal is 1/(|K| σ_cdp²) for the component K of each user.
  public func floorRho(sigmaCDP: Double, clip: Double, curious: CuriousUsers) throws(AccountantError) -> Double {
    try AccountantError.requirePositive(sigmaCDP, name: "sigma_cdp")
    try AccountantError.requirePositive(clip, name: "clip")
    func floor(_ ids: [Int]) throws(AccountantError) -> Double {
      let components = try HonestSubgraph(graph: graph, curious: ids).induced.connectedComponents()
      var sizes = [Int](repeating: 0, count: components.count)
      for c in components.component { sizes[c] += 1 }
      return 2 * clip * clip / (sigmaCDP * sigmaCDP * Double(sizes.min()!))
    }
    switch curious {
    case .users(let ids): return try floor(ids)
    case .worstSingle:
      guard graph.nodeCount >= 2 else { throw .noHonestUsers(nodeCount: graph.nodeCount, curiousCount: 1) }
      var worst = 0.0
      for c in 0..<graph.nodeCount { worst = max(worst, try floor([c])) }
      return worst
    }
  }
}
