import Foundation
import Graphs
import Testing

@testable import Privacy

/// Standard mechanisms: Gaussian, Poisson-subsampled Gaussian, subsampling without replacement,
/// RDP → (ε, δ), and the example-level path of the SecLDP accountant.
@Suite struct MechanismTests {
  // Measured with Google's dp-accounting 0.6.0 RdpAccountant (default orders), δ = 1e-6:
  // RdpAccountant().compose(PoissonSampledDpEvent(q, GaussianDpEvent(σ)), T).get_epsilon_and_optimal_order(1e-6).
  static let golden: [(q: Double, sigma: Double, steps: Int, epsilon: Double, order: Double)] = [
    (0.01, 1.0, 1000, 2.4366938030221523, 8.0),
    (0.001, 0.8, 5000, 1.5923077632444487, 8.3),
    (1e-4, 0.5, 2000, 3.190342445451446, 4.7),
  ]

  @Test func dpAccountingGoldenValues() throws {
    for item in Self.golden {
      let loss = try DPSGDAccountant.epsilon(noiseMultiplier: item.sigma, samplingRate: item.q, steps: item.steps, delta: 1e-6)
      // The brief's four decimals …
      #expect(
        (loss.epsilon * 1e4).rounded() == (item.epsilon * 1e4).rounded(),
        "q = \(item.q), σ = \(item.sigma): \(loss.epsilon) vs \(item.epsilon)")
      // … and closer: dp-accounting adds the negative terms of the fractional series as positive
      // ones (an upper bound); this series keeps their signs, a difference below 10⁻⁶.
      #expect(abs(loss.epsilon - item.epsilon) < 1e-6, "\(loss.epsilon) vs \(item.epsilon)")
      #expect(loss.order == item.order)
    }
  }

  @Test func gaussianMechanism() throws {
    expectClose(try GaussianMechanism.rdp(order: 3, noiseMultiplier: 2), 3.0 / 8, relative: 0)
    #expect(try GaussianMechanism.rdp(order: 2, noiseMultiplier: 0) == .infinity)
    // Sampling everything is the plain Gaussian mechanism.
    for order in [1.5, 2, 7.3, 64] {
      expectClose(
        try PoissonSubsampledGaussian.rdp(order: order, samplingRate: 1, noiseMultiplier: 1.3),
        try GaussianMechanism.rdp(order: order, noiseMultiplier: 1.3), relative: 0)
    }
    #expect(try PoissonSubsampledGaussian.rdp(order: 5, samplingRate: 0, noiseMultiplier: 1) == 0)
  }

  /// log A_α, A_α − 1 = ∫ μ₀ ((μ/μ₀)^α − 1) dz by the trapezoid rule on a wide, fine grid.
  static func numericalLogA(q: Double, sigma: Double, alpha: Double) -> Double {
    let lower = -12 * sigma - 2, upper = 12 * sigma + 3 + 2 * alpha / sigma
    let count = 400_000
    let h = (upper - lower) / Double(count)
    var sum = 0.0
    for k in 0...count {
      let z = lower + Double(k) * h
      let log0 = -z * z / (2 * sigma * sigma)
      let log1 = -(z - 1) * (z - 1) / (2 * sigma * sigma)
      let logRatio = log((1 - q) + q * exp(log1 - log0))
      // e^{log0}((μ/μ₀)^α − 1); far in the tail e^{log0} underflows while the ratio term does not.
      let density = log0 < -700 ? exp(log0 + alpha * logRatio) : exp(log0) * expm1(alpha * logRatio)
      let value = density / (sigma * (2 * Double.pi).squareRoot())
      sum += (k == 0 || k == count) ? value / 2 : value
    }
    return log1p(sum * h)
  }

  @Test(arguments: [(0.01, 1.0, 8.3), (0.1, 2.0, 3.5), (0.001, 0.8, 12.7), (0.3, 1.5, 1.7), (0.05, 0.7, 6.0)])
  func seriesMatchesQuadrature(q: Double, sigma: Double, alpha: Double) throws {
    let series = try PoissonSubsampledGaussian.rdp(order: alpha, samplingRate: q, noiseMultiplier: sigma)
    let numerical = Self.numericalLogA(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
    expectClose(series, numerical, relative: 1e-7, "q \(q) σ \(sigma) α \(alpha)")
  }

  @Test(arguments: [2, 3, 8, 20, 63])
  func fractionalSeriesAgreesWithTheIntegerFormulaAtIntegers(alpha: Int) {
    for (q, sigma) in [(0.01, 1.0), (0.2, 0.9), (1e-4, 0.5)] {
      let integer = PoissonSubsampledGaussian.logAInteger(q: q, sigma: sigma, alpha: alpha)
      let fractional = PoissonSubsampledGaussian.logAFractional(q: q, sigma: sigma, alpha: Double(alpha))
      #expect(abs(integer - fractional) <= 1e-10 * max(1, abs(integer)), "α \(alpha) q \(q) σ \(sigma)")
    }
  }

  @Test func conversionFollowsDpAccounting() throws {
    let curve = try RDPCurve(orders: [1.005, 2, 10], values: [0.01, 0.5, 3])
    let loss = try curve.epsilon(delta: 1e-5)
    let expected = [2.0, 10].map { a -> Double in
      let r = a == 2 ? 0.5 : 3
      return r + log1p(-1 / a) - (log(1e-5) + log(a)) / (a - 1)
    }
    expectClose(loss.epsilon, expected.min()!, relative: 1e-15)
    // The KL fallback: a tiny divergence gives ε = 0 at a large δ.
    #expect(try RDPCurve(orders: [2], values: [1e-9]).epsilon(delta: 0.5).epsilon == 0)
    // Classic conversion.
    let classic = try curve.classicEpsilon(delta: 1e-5)
    expectClose(classic.epsilon, min(0.01 + log(1e5) / 0.005, 0.5 + log(1e5), 3 + log(1e5) / 9), relative: 1e-15)
  }

  @Test func withoutReplacementBound() throws {
    let rhoB = 0.02
    let full = try SubsampledRDP.withoutReplacement(samplingRate: 1, maximumOrder: 64) { Double($0) * rhoB }
    for (order, value) in zip(full.orders, full.values) { expectClose(value, order * rhoB, relative: 0) }
    var previous = [Double](repeating: 0, count: 63)
    for gamma in [0.001, 0.01, 0.1, 0.5, 0.9] {
      let curve = try SubsampledRDP.withoutReplacement(samplingRate: gamma, maximumOrder: 64) { Double($0) * rhoB }
      for (index, value) in curve.values.enumerated() {
        #expect(value <= curve.orders[index] * rhoB * (1 + 1e-12))
        #expect(value >= previous[index])
      }
      previous = curve.values
    }
    // Small γ: ε′(2) ≈ γ² · min(4(e^{2ρ} − 1), 2e^{2ρ}), log(1 + x) ≈ x.
    let small = try SubsampledRDP.withoutReplacement(samplingRate: 1e-3, maximumOrder: 2) { Double($0) * rhoB }
    expectClose(small.values[0], log1p(1e-6 * 4 * expm1(2 * rhoB)), relative: 1e-12)
  }

  @Test func exampleLevelAccountsForStepsAndDelta() throws {
    let step = try SecLDPAccountant(graph: Graph.ring(n: 16))
      .stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: 10), curious: .none)
    for bound in SubsamplingBound.allCases {
      let base = try step.exampleLevel(batchSize: 8, samplingRate: 0.01, steps: 1000, delta: 1e-5, bound: bound)
      expectClose(base.rhoPerBatch, step.rho / 64, relative: 1e-15)
      let longer = try step.exampleLevel(batchSize: 8, samplingRate: 0.01, steps: 4000, delta: 1e-5, bound: bound)
      let looser = try step.exampleLevel(batchSize: 8, samplingRate: 0.01, steps: 1000, delta: 1e-3, bound: bound)
      let denser = try step.exampleLevel(batchSize: 8, samplingRate: 0.1, steps: 1000, delta: 1e-5, bound: bound)
      #expect(longer.epsilon > base.epsilon, "\(bound)")
      #expect(looser.epsilon < base.epsilon, "\(bound)")
      #expect(denser.epsilon > base.epsilon, "\(bound)")
      // Subsampling helps: below the unsubsampled T-round guarantee of the same ρ_b.
      let unsampled = try SecLDP.epsilon(rho: base.rhoPerBatch, steps: 1000, delta: 1e-5)
      #expect(base.epsilon < unsampled, "\(bound)")
      // ε is the conversion of the composed curve at the reported order.
      let order = Double(base.order)
      expectClose(base.epsilon, 1000 * base.curve.values[base.order - 2] + log(1e5) / (order - 1), relative: 1e-12)
    }
    // Rate 1 without replacement is the base curve: min over integer α of αTρ_b + ln(1/δ)/(α − 1)
    // is at least the closed form over real α.
    let all = try step.exampleLevel(batchSize: 4, samplingRate: 1, steps: 100, delta: 1e-5, bound: .withoutReplacement)
    let closed = try SecLDP.epsilon(rho: step.rho / 16, steps: 100, delta: 1e-5)
    #expect(all.epsilon >= closed && all.epsilon <= closed * 1.05)
  }

  @Test func poissonExampleLevelIsTheSubsampledGaussianOfTheEquivalentNoise() throws {
    let step = try SecLDPAccountant(graph: Graph.complete(n: 10))
      .stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: 5, clip: 1), curious: .none)
    let example = try step.exampleLevel(batchSize: 2, samplingRate: 0.02, steps: 500, delta: 1e-6, bound: .poisson)
    let sigma = 1 / (2 * step.rho / 4).squareRoot()
    let direct = try PoissonSubsampledGaussian.curve(samplingRate: 0.02, noiseMultiplier: sigma, orders: RDPCurve.integerOrders)
      .composed(steps: 500).classicEpsilon(delta: 1e-6)
    expectClose(example.epsilon, direct.epsilon, relative: 1e-12)
  }
}
