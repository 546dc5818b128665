#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A discretised privacy loss distribution (PLD) of one dominating pair (P, Q): the law of the
/// privacy loss L = log(P(o)/Q(o)) for o ~ P, on the grid {i·h}, with a mass at +∞ (outcomes Q
/// cannot produce, and truncated tails). Composing mechanisms adds their losses, so their PLDs
/// convolve (Meiser & Mohammadi 2018; Koskela, Jälkö, Honkela 2020; Doroshenko et al.,
/// "Connect the dots", 2022 — the method of Google's dp-accounting).
///
/// Every approximation errs toward more loss, so ε and δ read from the result are upper bounds
/// on the true ones: the discrete pair dominates the true one (`connectingTheDots`), a truncated
/// lower tail moves up to the lowest kept point, and a truncated upper tail moves to +∞. The remaining error is the
/// FFT's round-off (~1e-16 of the largest mass, far below the 1e-15 tails that are truncated).
public struct PrivacyLossDistribution: Sendable, Equatable {
  /// The grid step h (the discretisation interval).
  public let interval: Double
  /// Grid index of `masses[0]`: masses[k] is P(L = (lowestIndex + k)·h).
  public let lowestIndex: Int
  public let masses: [Double]
  /// P(L = +∞).
  public let infinityMass: Double

  /// Tail mass dropped (pessimistically) when a distribution is built or composed.
  public static let tailMass = 1e-15

  public init(interval: Double, lowestIndex: Int, masses: [Double], infinityMass: Double) {
    self.interval = interval
    self.lowestIndex = lowestIndex
    self.masses = masses
    self.infinityMass = infinityMass
  }

  /// The "connect the dots" PLD of a pair whose hockey-stick curve δ(ε) is known (Doroshenko,
  /// Ghazi, Kamath, Kumar, Manurangsi, "Connect the dots: tighter discrete approximations of
  /// privacy loss distributions", PETS 2022): atoms on the grid chosen so that the discrete δ̃(ε)
  /// equals δ at every grid point and interpolates linearly in e^ε between them. δ is convex in
  /// e^ε, so δ̃ ≥ δ everywhere — a dominating pair, hence an upper bound under composition — while
  /// the loss is not rounded up step after step (rounding up biases ε by T·h/2 after T steps).
  /// The grid covers [lower, upper]; δ(upper) goes to +∞, what is left of the mass to the lowest point.
  static func connectingTheDots(
    lower: Double, upper: Double, interval h: Double, hockeyStick: (Double) -> Double
  ) -> PrivacyLossDistribution {
    let first = Int((lower / h).rounded(.down)), last = max(first + 1, Int((upper / h).rounded(.up)))
    let delta = (first...last).map { hockeyStick(Double($0) * h) }
    let infinity = delta[delta.count - 1]
    // A_i = Σ_{j > i} p_j from the segment [ε_i, ε_{i+1}]: δ̃ = m∞ + A_i − e^ε B_i through both ends.
    var above = [Double](repeating: 0, count: delta.count)
    let scale = 1 / expm1(h)
    for i in stride(from: delta.count - 2, through: 0, by: -1) {
      above[i] = delta[i] - infinity + (delta[i] - delta[i + 1]) * scale
    }
    var masses = [Double](repeating: 0, count: delta.count)
    for i in 1..<delta.count { masses[i] = max(0, above[i - 1] - above[i]) }
    masses[0] = max(0, 1 - infinity - masses[1...].reduce(0, +))
    return PrivacyLossDistribution(interval: h, lowestIndex: first, masses: masses, infinityMass: infinity).truncated()
  }

  // MARK: - Composition

  /// The PLD of running both mechanisms (independent noise): the losses add, the masses convolve,
  /// and +∞ absorbs any pair with an infinite part.
  public func composed(with other: PrivacyLossDistribution) -> PrivacyLossDistribution {
    precondition(interval == other.interval, "PLDs compose on the same grid")
    let masses = Convolution.convolve(self.masses, other.masses)
    let infinity = 1 - (1 - infinityMass) * (1 - other.infinityMass)
    return PrivacyLossDistribution(
      interval: interval, lowestIndex: lowestIndex + other.lowestIndex, masses: masses, infinityMass: infinity
    ).truncated()
  }

  /// The PLD of `count` independent runs, by repeated squaring (⌈log₂ count⌉ squarings).
  public func selfComposed(_ count: Int) -> PrivacyLossDistribution {
    precondition(count >= 1, "compose at least once")
    var result: PrivacyLossDistribution? = nil
    var power = self, remaining = count
    while remaining > 0 {
      if remaining & 1 == 1 { result = result.map { $0.composed(with: power) } ?? power }
      remaining >>= 1
      if remaining > 0 { power = power.composed(with: power) }
    }
    return result ?? self
  }

  /// Drops tails of at most `tailMass` each side, pessimistically: the lower one onto the
  /// lowest kept point, the upper one to +∞.
  func truncated() -> PrivacyLossDistribution {
    var low = 0, lowMass = 0.0
    while low < masses.count - 1 && lowMass + masses[low] <= Self.tailMass {
      lowMass += masses[low]
      low += 1
    }
    var high = masses.count - 1, highMass = 0.0
    while high > low && highMass + masses[high] <= Self.tailMass {
      highMass += masses[high]
      high -= 1
    }
    guard low > 0 || high < masses.count - 1 else { return self }
    var kept = Array(masses[low...high])
    kept[0] += lowMass
    return PrivacyLossDistribution(
      interval: interval, lowestIndex: lowestIndex + low, masses: kept, infinityMass: min(1, infinityMass + highMass))
  }

  // MARK: - Reading (ε, δ)

  /// δ(ε) = P(L = ∞) + Σ_l P(L = l)(1 − e^{ε − l})₊: the hockey-stick divergence of the pair.
  public func delta(epsilon: Double) -> Double {
    var total = 0.0
    for k in stride(from: masses.count - 1, through: 0, by: -1) {
      let loss = Double(lowestIndex + k) * interval
      guard loss > epsilon else { break }
      total += masses[k] * -expm1(epsilon - loss)
    }
    return min(1, infinityMass + total)
  }

  /// The smallest ε ≥ 0 with δ(ε) ≤ δ (exact for this discrete distribution: between two grid
  /// points δ(ε) = A − e^ε B); +∞ when even ε → ∞ leaves more than δ at +∞.
  public func epsilon(delta: Double) -> Double {
    guard infinityMass < delta else { return .infinity }
    // Walk down the grid, keeping A = Σ_{l > ε} p_l and B = Σ_{l > ε} p_l e^{−l}.
    var a = infinityMass, b = 0.0
    for k in stride(from: masses.count - 1, through: 0, by: -1) {
      let loss = Double(lowestIndex + k) * interval
      let below = k > 0 ? Double(lowestIndex + k - 1) * interval : -Double.infinity
      a += masses[k]
      b += masses[k] * exp(-loss)
      // For ε in [below, loss): δ(ε) = a − e^ε b; it falls to δ at ε = log((a − δ)/b).
      guard a > delta else { continue }
      let epsilon = log((a - delta) / b)
      if epsilon >= below { return max(0, min(epsilon, loss)) }
    }
    return 0
  }
}
