import Foundation
import Randomness
import Testing

@testable import Privacy

@Suite struct EmpiricalPrivacyTests {
  /// I_x(a, b) against SciPy's `special.betainc` (1.17.1).
  @Test func regularizedBetaMatchesSciPy() {
    let cases: [(x: Double, a: Double, b: Double, expected: Double)] = [
      (0.3, 2, 5, 0.5798250000000003), (0.9, 0.5, 0.5, 0.7951672353008665), (0.01, 1, 3000, 0.9999999999999195),
      (0.5, 200, 180, 0.15212954940791235),
    ]
    for c in cases {
      let value = EmpiricalPrivacy.regularizedBeta(c.x, c.a, c.b)
      #expect(abs(value - c.expected) <= 1e-12 * max(1, c.expected), "I_\(c.x)(\(c.a), \(c.b)) = \(value), expected \(c.expected)")
    }
  }

  /// Clopper–Pearson upper bounds against SciPy's `stats.beta.ppf(1 − α, k + 1, n − k)`.
  @Test func clopperPearsonMatchesSciPy() {
    let cases: [(k: Int, n: Int, alpha: Double, expected: Double)] = [
      (0, 100, 0.025, 0.03621669264517641), (3, 100, 0.025, 0.08517605297428002), (50, 1000, 0.05, 0.06286340351237973),
      (9990, 10000, 0.025, 0.9995203602762289), (1, 10000, 0.025, 0.0005570369979470473),
      (166, 10000, 0.025, 0.019299750290358676),
    ]
    for c in cases {
      let value = EmpiricalPrivacy.clopperPearsonUpper(successes: c.k, trials: c.n, alpha: c.alpha)
      #expect(abs(value - c.expected) <= 1e-9 * c.expected, "k \(c.k) of \(c.n) at α \(c.alpha): \(value), expected \(c.expected)")
    }
    #expect(EmpiricalPrivacy.clopperPearsonUpper(successes: 7, trials: 7, alpha: 0.05) == 1)
  }

  /// No errors in N trials per side: the bound is ln((1 − δ − p⁺)/p⁺) with p⁺ = 1 − (α/2)^(1/N),
  /// the most N trials can show; chance-level errors prove nothing; more errors never prove more.
  @Test func boundFromCounts() {
    let n = 10_000
    let perfect = EmpiricalPrivacy.epsilonLowerBound(
      falsePositives: 0, trialsWithout: n, falseNegatives: 0, trialsWith: n, delta: 1e-5, confidence: 0.95)
    let p = -expm1(log(0.025) / Double(n))
    #expect(abs(perfect - log((1 - 1e-5 - p) / p)) < 1e-12)
    let chance = EmpiricalPrivacy.epsilonLowerBound(
      falsePositives: n / 2, trialsWithout: n, falseNegatives: n / 2, trialsWith: n, delta: 1e-5, confidence: 0.95)
    #expect(chance == 0)
    var previous = Double.infinity
    for errors in [0, 1, 10, 100, 1000] {
      let bound = EmpiricalPrivacy.epsilonLowerBound(
        falsePositives: errors, trialsWithout: n, falseNegatives: 2000, trialsWith: n, delta: 1e-5, confidence: 0.95)
      #expect(bound < previous)
      previous = bound
    }
  }

  /// The threshold is chosen on calibration scores and only then counted on the evaluation scores.
  @Test func thresholdChosenOnCalibration() {
    let calibrationWith = (0..<100).map { 10 + Double($0) }, calibrationWithout = (0..<100).map { Double($0) - 100 }
    // Evaluation scores on the wrong side of the calibration threshold: the test proves nothing.
    let bound = EmpiricalPrivacy.thresholdTest(
      calibrationWith: calibrationWith, calibrationWithout: calibrationWithout, with: [Double](repeating: -1000, count: 100),
      without: [Double](repeating: 1000, count: 100), delta: 1e-5, confidence: 0.95)
    #expect(bound.epsilonLower == 0)
    #expect(bound.falsePositives == 100 && bound.falseNegatives == 100)
    #expect(bound.threshold >= -1 && bound.threshold <= 10)
  }

  /// The docs' "How to audit your own mechanism" example, over five seeds: a Gaussian release
  /// calibrated to ε = 4 (δ = 1e-5) never audits above 4, and to ≈ 1.9 on average with 10,000
  /// trials per side (one seed's bound varies by ±0.2: few false positives decide it).
  @Test func auditYourOwnMechanismExample() {
    var bounds: [Double] = []
    for seed: UInt64 in 1...5 {
      func release(_ value: Double, sigma: Double, trial: Int, stream purpose: String) -> Double {
        var stream = RandomStream(seed: seed, purpose: StreamPurpose(purpose), round: UInt32(trial))
        return value + sigma * stream.nextGaussian()
      }
      let sigma = 2.16
      func scores(_ value: Double, _ purpose: String, _ n: Int) -> [Double] {
        (0..<n).map { release(value, sigma: sigma, trial: $0, stream: purpose) }
      }
      let bound = EmpiricalPrivacy.thresholdTest(
        calibrationWith: scores(1, "calibrate-with", 5000), calibrationWithout: scores(-1, "calibrate-without", 5000),
        with: scores(1, "with", 10000), without: scores(-1, "without", 10000), delta: 1e-5, confidence: 0.95)
      #expect(bound.epsilonLower < 4, "seed \(seed): \(bound.epsilonLower)")
      bounds.append(bound.epsilonLower)
    }
    let mean = bounds.reduce(0, +) / Double(bounds.count)
    #expect(mean > 1.75, "\(bounds)")
  }
}
