import Foundation

/// Lower bounds on ε from a distinguishing experiment (Jagielski, Ullman, Oprea 2020; Nasr et al.
/// 2021): a mechanism is run N₁ times on one input and N₀ times on a neighbouring one, an
/// adversary scores each output, and a threshold τ turns scores into guesses ("the first input"
/// when score ≥ τ). For an (ε, δ)-DP mechanism every test has
/// FPR + e^ε·FNR ≥ 1 − δ and FNR + e^ε·FPR ≥ 1 − δ, so with Clopper–Pearson upper bounds on both
/// error rates (each at level α/2, jointly at 1 − α)
/// ε ≥ max(ln((1 − δ − FNR⁺)/FPR⁺), ln((1 − δ − FPR⁺)/FNR⁺)) with confidence 1 − α.
public enum EmpiricalPrivacy {
  /// The outcome of a threshold test on the evaluation scores.
  public struct Bound: Sendable, Equatable {
    /// The ε lower bound at the requested confidence (0 when the test proves nothing).
    public let epsilonLower: Double
    /// The same with the observed error rates in place of their upper bounds (no confidence; nil
    /// when a rate is 0).
    public let epsilonPoint: Double?
    public let threshold: Double
    /// Trials without the canary scored at or above the threshold, of `trialsWithout`.
    public let falsePositives: Int
    /// Trials with the canary scored below the threshold, of `trialsWith`.
    public let falseNegatives: Int
    public let trialsWith: Int
    public let trialsWithout: Int
  }

  /// ε lower bound of a threshold test with these error counts (see the type's description).
  public static func epsilonLowerBound(
    falsePositives: Int, trialsWithout: Int, falseNegatives: Int, trialsWith: Int, delta: Double, confidence: Double
  ) -> Double {
    let alpha = (1 - confidence) / 2
    let fpr = clopperPearsonUpper(successes: falsePositives, trials: trialsWithout, alpha: alpha)
    let fnr = clopperPearsonUpper(successes: falseNegatives, trials: trialsWith, alpha: alpha)
    return max(0, logRatio(1 - delta - fnr, fpr), logRatio(1 - delta - fpr, fnr))
  }

  /// The threshold test: τ is chosen on separate calibration scores (the one whose calibration
  /// counts give the largest bound), then the bound is computed on the evaluation scores — so
  /// choosing τ does not spend the confidence.
  public static func thresholdTest(
    calibrationWith: [Double], calibrationWithout: [Double], with: [Double], without: [Double], delta: Double, confidence: Double
  ) -> Bound {
    let threshold = bestThreshold(with: calibrationWith, without: calibrationWithout, delta: delta, confidence: confidence).threshold
    return bound(threshold: threshold, with: with, without: without, delta: delta, confidence: confidence)
  }

  /// The bound of the test "with the canary when the score is ≥ `threshold`" on these scores.
  public static func bound(threshold: Double, with: [Double], without: [Double], delta: Double, confidence: Double) -> Bound {
    let falsePositives = without.filter { $0 >= threshold }.count
    let falseNegatives = with.filter { $0 < threshold }.count
    let lower = epsilonLowerBound(
      falsePositives: falsePositives, trialsWithout: without.count, falseNegatives: falseNegatives, trialsWith: with.count,
      delta: delta, confidence: confidence)
    let fpr = Double(falsePositives) / Double(max(1, without.count))
    let fnr = Double(falseNegatives) / Double(max(1, with.count))
    let point = fpr > 0 && fnr > 0 ? max(0, logRatio(1 - delta - fnr, fpr), logRatio(1 - delta - fpr, fnr)) : nil
    return Bound(
      epsilonLower: lower, epsilonPoint: point, threshold: threshold, falsePositives: falsePositives, falseNegatives: falseNegatives,
      trialsWith: with.count, trialsWithout: without.count)
  }

  /// The candidate threshold (a calibration score; at most 2,000 evenly spaced order statistics
  /// are tried) with the largest lower bound on the calibration counts, and that bound.
  public static func bestThreshold(
    with: [Double], without: [Double], delta: Double, confidence: Double
  ) -> (threshold: Double, bound: Double) {
    let sortedWith = with.sorted(), sortedWithout = without.sorted()
    var candidates = (sortedWith + sortedWithout).filter(\.isFinite).sorted()
    guard !candidates.isEmpty else { return (.infinity, 0) }
    if candidates.count > 2000 {
      let step = Double(candidates.count - 1) / 1999
      candidates = (0..<2000).map { candidates[Int((Double($0) * step).rounded())] }
    }
    var best = (bound: -1.0, threshold: candidates[0])
    for threshold in candidates {
      let falsePositives = sortedWithout.count - firstIndex(atLeast: threshold, in: sortedWithout)
      let falseNegatives = firstIndex(atLeast: threshold, in: sortedWith)
      let bound = epsilonLowerBound(
        falsePositives: falsePositives, trialsWithout: sortedWithout.count, falseNegatives: falseNegatives,
        trialsWith: sortedWith.count, delta: delta, confidence: confidence)
      if bound > best.bound { best = (bound, threshold) }
    }
    return (best.threshold, max(0, best.bound))
  }

  /// The Clopper–Pearson upper bound on a binomial proportion: the p with P(Bin(n, p) ≤ k) = α,
  /// so the true proportion is below it with probability at least 1 − α.
  public static func clopperPearsonUpper(successes k: Int, trials n: Int, alpha: Double) -> Double {
    precondition(n > 0 && k >= 0 && k <= n && alpha > 0 && alpha < 1, "a proportion of n > 0 trials at 0 < α < 1")
    if k == n { return 1 }
    // k = 0: (1 − p)ⁿ = α exactly.
    if k == 0 { return -expm1(log(alpha) / Double(n)) }
    // P(Bin(n, p) ≤ k) = 1 − I_p(k + 1, n − k), decreasing in p: bisection.
    let a = Double(k + 1), b = Double(n - k)
    var low = 0.0, high = 1.0
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if 1 - regularizedBeta(middle, a, b) > alpha { low = middle } else { high = middle }
      if high - low <= 1e-15 * high { break }
    }
    return high
  }

  /// The regularised incomplete beta function I_x(a, b), by its continued fraction (modified
  /// Lentz), on the side of x where it converges fast.
  public static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, b, a) }
    let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var fraction = d
    for m in 1...10_000 {
      let m = Double(m)
      // Even term.
      var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      fraction *= d * c
      // Odd term.
      numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + numerator * d
      if abs(d) < tiny { d = tiny }
      c = 1 + numerator / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      fraction *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return exp(logFront) * fraction / a
  }

  static func logRatio(_ numerator: Double, _ denominator: Double) -> Double {
    numerator > 0 && denominator > 0 ? log(numerator / denominator) : 0
  }

  /// The first index of a sorted array whose value is ≥ `value` (the count of values below it).
  static func firstIndex(atLeast value: Double, in sorted: [Double]) -> Int {
    var low = 0, high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
