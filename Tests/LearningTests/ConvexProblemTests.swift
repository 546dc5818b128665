import Foundation
import Testing

@testable import Learning

@Suite struct ConvexProblemTests {
  func finiteDifference(_ problem: ConvexProblem, _ x: [Double]) -> [Double] {
    (0..<x.count).map { j in
      var plus = x, minus = x
      plus[j] += 1e-6
      minus[j] -= 1e-6
      return (problem.value(plus) - problem.value(minus)) / 2e-6
    }
  }

  @Test func gradientsMatchFiniteDifferences() {
    let problems = [
      ConvexProblem.linearSynthetic(client: 1, examples: 30, dimension: 4, noise: 0.1, heterogeneity: 0.5, seed: 2),
      ConvexProblem.logisticSynthetic(client: 2, examples: 40, dimension: 4, heterogeneity: 1, l2: 0.01, seed: 2),
      ConvexProblem.decorQuadratic(client: 3, clients: 8, dimension: 4, zeta: 1, seed: 2),
    ]
    let x = [0.3, -0.2, 0.5, 0.1]
    for problem in problems {
      let analytic = problem.gradient(x), numeric = finiteDifference(problem, x)
      for j in 0..<4 { #expect(abs(analytic[j] - numeric[j]) < 1e-6 * max(1, abs(numeric[j])), "\(problem.loss) \(j)") }
      // The mean of the per-example gradients (plus L2 once) is the full gradient for a mean reduction.
      if problem.reduction == .mean {
        var mean = [Double](repeating: 0, count: 4)
        for k in 0..<problem.examples {
          let g = problem.exampleGradient(x, k)
          for j in 0..<4 { mean[j] += g[j] / Double(problem.examples) }
        }
        for j in 0..<4 { #expect(abs(mean[j] - analytic[j]) < 1e-12) }
      }
    }
  }

  @Test func decorOptimumHasItsClosedForm() throws {
    // x* = Σ a_i b_i / Σ a_i² coordinate-wise, a_i = (i+1)/√n.
    let n = 6
    let problems = (0..<n).map { ConvexProblem.decorQuadratic(client: $0, clients: n, dimension: 3, zeta: 1, seed: 5) }
    let optimum = try #require(ConvexProblem.optimum(of: problems))
    let a = (0..<n).map { Double($0 + 1) / Double(n).squareRoot() }
    for j in 0..<3 {
      let numerator = (0..<n).reduce(0.0) { $0 + a[$1] * problems[$1].targets[j] }
      let denominator = a.reduce(0.0) { $0 + $1 * $1 }
      #expect(abs(optimum[j] - numerator / denominator) < 1e-12)
    }
  }

  @Test func logisticOptimumZeroesTheSummedGradient() throws {
    let problems = (0..<4).map {
      ConvexProblem.logisticSynthetic(client: $0, examples: 50, dimension: 3, heterogeneity: 1, l2: 1e-2, seed: 9)
    }
    let optimum = try #require(ConvexProblem.optimum(of: problems))
    var total = [0.0, 0.0, 0.0]
    for problem in problems { for (j, g) in problem.gradient(optimum).enumerated() { total[j] += g } }
    #expect(total.allSatisfy { abs($0) < 1e-10 })
    #expect((problems[0].accuracy(optimum) ?? 0) > 0.6)
  }
}
