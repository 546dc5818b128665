import Randomness
import Testing

@testable import Data

@Suite struct DirichletTests {
  /// Draws `n` samples and checks each is on the simplex and the mean of every component is
  /// within 5 standard errors of α_i/α₀ (Var p_i = α_i(α₀ − α_i)/(α₀²(α₀ + 1))).
  func checkMeans(_ alphas: [Double], draws n: Int, seed: UInt64) throws {
    var random = stream(seed: seed)
    var sums = [Double](repeating: 0, count: alphas.count)
    for _ in 0..<n {
      let p = try Dirichlet.sample(concentrations: alphas, using: &random)
      #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 })
      #expect(abs(p.reduce(0, +) - 1) < 1e-12)
      for i in p.indices { sums[i] += p[i] }
    }
    let a0 = alphas.reduce(0, +)
    for (i, a) in alphas.enumerated() {
      let expected = a / a0
      let standardError = (a * (a0 - a) / (a0 * a0 * (a0 + 1)) / Double(n)).squareRoot()
      let mean = sums[i] / Double(n)
      #expect(abs(mean - expected) <= 5 * standardError, "component \(i): mean \(mean), expected \(expected)")
    }
  }

  @Test func symmetricMeansAreUniform() throws {
    try checkMeans([0.5, 0.5, 0.5, 0.5], draws: 20_000, seed: 1)
    try checkMeans([Double](repeating: 3, count: 6), draws: 10_000, seed: 2)
  }

  @Test func nonUniformMeansAreProportionalToAlpha() throws {
    try checkMeans([0.2, 1, 3, 5.8], draws: 20_000, seed: 3)
  }

  @Test func tinyConcentrationsStayOnTheSimplex() throws {
    var random = stream(seed: 4)
    var nearlyOneHot = 0
    for _ in 0..<2_000 {
      let p = try Dirichlet.sample(alpha: 0.002, count: 5, using: &random)
      #expect(p.allSatisfy { $0 >= 0 && $0.isFinite })
      #expect(abs(p.reduce(0, +) - 1) < 1e-12)
      if (p.max() ?? 0) > 0.999 { nearlyOneHot += 1 }
    }
    // log G_i ≈ −E_i/α with E_i ~ Exp(1): the largest share exceeds 0.999 unless the two smallest
    // E_i are within α·ln 999 ≈ 0.0138, and that gap is Exp(4): P(one-hot) ≈ e^(−0.055) ≈ 0.946.
    #expect(nearlyOneHot > 1_800, "\(nearlyOneHot) of 2000")
  }

  @Test func gammaMeansMatchShapes() {
    for (shape, seed) in [(0.3, 5 as UInt64), (1.0, 6), (4.5, 7)] {
      var random = stream(seed: seed)
      let n = 40_000
      var sum = 0.0
      for _ in 0..<n { sum += Gamma.sample(shape: shape, using: &random) }
      let standardError = (shape / Double(n)).squareRoot()  // Var Gamma(k, 1) = k
      #expect(abs(sum / Double(n) - shape) <= 5 * standardError, "shape \(shape)")
    }
  }

  @Test func rejectsBadConcentrations() {
    var random = stream()
    #expect(throws: DataError.self) { try Dirichlet.sample(concentrations: [], using: &random) }
    #expect(throws: DataError.self) { try Dirichlet.sample(concentrations: [1, 0], using: &random) }
    #expect(throws: DataError.self) { try Dirichlet.sample(alpha: .infinity, count: 3, using: &random) }
    let error = dataError { () throws(DataError) in _ = try Dirichlet.sample(alpha: -1, count: 3, using: &random) }
    #expect(error?.description == "dirichlet: alpha = -1.0, expected a finite number ≥ 1e-300")
  }

  @Test func apportionmentSumsAndFollowsWeights() {
    #expect(apportion(10, weights: [1, 1, 1]) == [4, 3, 3])
    #expect(apportion(7, weights: [0.75, 0.25]) == [5, 2])
    #expect(apportion(5, weights: [0, 2, 0]) == [0, 5, 0])
    #expect(apportion(0, weights: [1, 2]) == [0, 0])
    var random = stream(seed: 8)
    for _ in 0..<200 {
      let weights = (0..<7).map { _ in random.nextDouble() }
      let total = random.nextInt(below: 1000)
      let parts = apportion(total, weights: weights)
      #expect(parts.reduce(0, +) == total)
      let sum = weights.reduce(0, +)
      for i in weights.indices { #expect(abs(Double(parts[i]) - Double(total) * weights[i] / sum) < 1) }
    }
  }
}
