import Graphs
import Testing

@testable import Privacy

/// Every bad input is a typed error that names the parameter, the value and what was expected.
@Suite struct AccountantErrorTests {
  let ring = SecLDPAccountant(graph: try! Graph.ring(n: 8))
  let noise = DecorNoise(sigmaCDP: 1, sigmaCor: 10)

  func expectError(
    _ expected: AccountantError, mentioning words: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
  ) {
    do {
      try body()
      Issue.record("expected \(expected)", sourceLocation: sourceLocation)
    } catch let error as AccountantError {
      #expect(error == expected, sourceLocation: sourceLocation)
      for word in words {
        #expect(error.description.contains(word), "'\(error)' should mention \(word)", sourceLocation: sourceLocation)
      }
    } catch {
      Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func curiousIdsOutOfRangeOrRepeated() {
    expectError(.curiousOutOfRange(id: 8, nodeCount: 8), mentioning: ["8", "0..<8"]) {
      _ = try ring.stepLoss(noise: noise, curious: .users([0, 8]))
    }
    expectError(.curiousOutOfRange(id: -1, nodeCount: 8)) { _ = try ring.stepLoss(noise: noise, curious: .users([-1])) }
    expectError(.duplicateCurious(id: 3), mentioning: ["3", "twice"]) {
      _ = try ring.stepLoss(noise: noise, curious: .users([3, 1, 3]))
    }
  }

  @Test func emptyHonestSet() throws {
    expectError(.noHonestUsers(nodeCount: 8, curiousCount: 8), mentioning: ["honest"]) {
      _ = try ring.stepLoss(noise: noise, curious: .users(Array(0..<8)))
    }
    let single = SecLDPAccountant(graph: try Graph(nodeCount: 1))
    expectError(.noHonestUsers(nodeCount: 1, curiousCount: 1)) { _ = try single.stepLoss(noise: noise, curious: .worstSingle) }
  }

  @Test func zeroPrivateNoiseIsASingularCovariance() throws {
    do throws(AccountantError) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 0, sigmaCor: 10), curious: .none)
      Issue.record("expected a singular covariance")
    } catch {
      #expect(error == .singularCovariance(sigmaCDP: 0, sigmaCor: 10, leadingMinor: nil, honestCount: 8))
      #expect(error.description.contains("σ_cdp = 0"))
    }
    expectError(.singularCovariance(sigmaCDP: 0, sigmaCor: 0, leadingMinor: nil, honestCount: 8)) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 0, sigmaCor: 0), curious: .none)
    }
    // Numerically singular: σ_cor/σ_cdp = 10¹⁰ on K₁₆ (condition number ~10²¹).
    do {
      _ = try SecLDPAccountant(graph: try Graph.complete(n: 16))
        .stepLoss(noise: DecorNoise(sigmaCDP: 1e-10, sigmaCor: 1), curious: .none)
      Issue.record("expected a singular covariance")
    } catch let error as AccountantError {
      guard case .singularCovariance = error else { Issue.record("unexpected \(error)"); return }
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func negativeOrNonFiniteNoiseAndBadClip() {
    expectError(.invalidParameter(name: "sigma_cdp", value: "-1.0", expected: "a finite number ≥ 0"), mentioning: ["sigma_cdp", "-1.0"]) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: -1, sigmaCor: 1), curious: .none)
    }
    expectError(.invalidParameter(name: "sigma_cor", value: "-0.5", expected: "a finite number ≥ 0")) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: -0.5), curious: .none)
    }
    expectError(.invalidParameter(name: "sigma_cor", value: "nan", expected: "a finite number ≥ 0")) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: .nan), curious: .none)
    }
    expectError(.invalidParameter(name: "clip", value: "0.0", expected: "a finite number > 0")) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: 1, clip: 0), curious: .none)
    }
    expectError(.invalidParameter(name: "clip", value: "-2.0", expected: "a finite number > 0")) {
      _ = try ring.stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: 1, clip: -2), curious: .none)
    }
  }

  @Test func stepsAndDelta() {
    for delta in [0.0, 1.0, -1e-5, 2.0, Double.nan] {
      expectError(.invalidParameter(name: "delta", value: "\(delta)", expected: "a number in (0, 1)"), mentioning: ["delta"]) {
        _ = try ring.guarantee(noise: noise, curious: .none, steps: 10, delta: delta)
      }
    }
    for steps in [0, -3] {
      expectError(.invalidParameter(name: "steps", value: "\(steps)", expected: "at least 1")) {
        _ = try ring.guarantee(noise: noise, curious: .none, steps: steps, delta: 1e-5)
      }
    }
    expectError(.invalidParameter(name: "delta", value: "1.0", expected: "a number in (0, 1)")) {
      _ = try SecLDP.targetRho(epsilon: 1, delta: 1, steps: 10)
    }
    expectError(.invalidParameter(name: "epsilon", value: "0.0", expected: "a finite number > 0")) {
      _ = try SecLDP.targetRho(epsilon: 0, delta: 1e-5, steps: 10)
    }
    expectError(.invalidParameter(name: "steps", value: "0", expected: "at least 1")) {
      _ = try SecLDP.targetRho(epsilon: 1, delta: 1e-5, steps: 0)
    }
  }

  @Test func mechanismsAndSubsampling() throws {
    expectError(.invalidParameter(name: "sampling rate", value: "1.5", expected: "a rate in [0, 1]")) {
      _ = try PoissonSubsampledGaussian.rdp(order: 2, samplingRate: 1.5, noiseMultiplier: 1)
    }
    expectError(.invalidParameter(name: "noise multiplier", value: "-1.0", expected: "a finite number ≥ 0")) {
      _ = try DPSGDAccountant.epsilon(noiseMultiplier: -1, samplingRate: 0.1, steps: 10, delta: 1e-5)
    }
    expectError(.invalidParameter(name: "order", value: "1.0", expected: "a finite order > 1")) {
      _ = try GaussianMechanism.rdp(order: 1, noiseMultiplier: 1)
    }
    expectError(.invalidParameter(name: "delta", value: "0.0", expected: "a number in (0, 1)")) {
      _ = try DPSGDAccountant.epsilon(noiseMultiplier: 1, samplingRate: 0.1, steps: 10, delta: 0)
    }
    let step = try ring.stepLoss(noise: noise, curious: .none)
    expectError(.invalidParameter(name: "sampling rate", value: "0.0", expected: "a rate in (0, 1]")) {
      _ = try step.exampleLevel(batchSize: 4, samplingRate: 0, steps: 10, delta: 1e-5, bound: .poisson)
    }
    expectError(.invalidParameter(name: "batch size", value: "0.0", expected: "a finite number > 0")) {
      _ = try step.exampleLevel(batchSize: 0, samplingRate: 0.1, steps: 10, delta: 1e-5, bound: .withoutReplacement)
    }
    expectError(.invalidParameter(name: "values", value: "1 values", expected: "one value per order (2)")) {
      _ = try RDPCurve(orders: [2, 3], values: [1])
    }
  }

  @Test func calibrationInputs() {
    expectError(.invalidParameter(name: "sigma_cdp", value: "0.0", expected: "a finite number > 0")) {
      _ = try ring.calibrateCorrelatedNoise(targetRho: 0.1, sigmaCDP: 0, clip: 1, curious: .none)
    }
    expectError(.curiousOutOfRange(id: 9, nodeCount: 8)) {
      _ = try ring.calibrate(epsilon: 1, delta: 1e-5, steps: 10, clip: 1, curious: .users([9]), sigmaCDP: 1)
    }
  }
}
