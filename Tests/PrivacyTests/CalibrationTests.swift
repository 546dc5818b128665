import Foundation
import Graphs
import Testing

@testable import Privacy

/// Target (ε, δ, T) → ρ* → noise levels, and back.
@Suite struct CalibrationTests {
  @Test(arguments: [1e-6, 0.003, 0.15, 2.0, 40.0], [(1, 1e-5), (1000, 1e-5), (3500, 1e-8), (7, 0.3)])
  func inverseOfForwardIsIdentity(rho: Double, horizon: (Int, Double)) throws {
    let (steps, delta) = horizon
    let epsilon = try SecLDP.epsilon(rho: rho, steps: steps, delta: delta)
    expectClose(try SecLDP.targetRho(epsilon: epsilon, delta: delta, steps: steps), rho, relative: 1e-12)
  }

  @Test(arguments: [0.01, 0.5, 1.0, 8.0, 300.0])
  func forwardOfInverseIsIdentity(epsilon: Double) throws {
    let target = try SecLDP.targetRho(epsilon: epsilon, delta: 1e-5, steps: 3500)
    expectClose(try SecLDP.epsilon(rho: target, steps: 3500, delta: 1e-5), epsilon, relative: 1e-12)
  }

  @Test func ldpAndCdpSigmasReachTheTarget() throws {
    let graph = try Graph.ring(n: 16)
    let accountant = SecLDPAccountant(graph: graph)
    let calibration = try accountant.calibrate(epsilon: 10, delta: 1e-5, steps: 3500, clip: 1, curious: .none)
    expectClose(calibration.targetRho, 0.00044295863673583433)
    // σ_cor = 0 at the LDP σ gives ρ*.
    let ldp = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: calibration.ldpSigma, sigmaCor: 0), curious: .none, steps: 3500, delta: 1e-5)
    expectClose(ldp.epsilon, 10, relative: 1e-12)
    // The CDP σ puts the CDP level 2C²/(n σ²) at ρ*.
    expectClose(2 / (16 * calibration.cdpSigma * calibration.cdpSigma), calibration.targetRho, relative: 1e-12)
    #expect(calibration.honestCount == 16)
    #expect(calibration.correlated == nil)
  }

  @Test(arguments: [("ring", 16), ("torus", 16), ("complete", 16), ("star", 9)])
  func bisectionReproducesTheTargetEpsilon(family: String, n: Int) throws {
    let graph: Graph
    switch family {
    case "ring": graph = try Graph.ring(n: n)
    case "torus": graph = try Graph.torus(rows: 4, columns: 4)
    case "star": graph = try Graph.star(n: n)
    default: graph = try Graph.complete(n: n)
    }
    let accountant = SecLDPAccountant(graph: graph)
    let sigmaCDP =
      2
      * (try SecLDP.cdpSigma(
        rho: SecLDP.targetRho(epsilon: 10, delta: 1e-5, steps: 3500), clip: 1, honestCount: n))
    let calibration = try accountant.calibrate(
      epsilon: 10, delta: 1e-5, steps: 3500, clip: 1, curious: .none, sigmaCDP: sigmaCDP)
    let correlated = try #require(calibration.correlated)
    let sigmaCor = try #require(correlated.sigmaCor)
    #expect(sigmaCor > 0, "\(correlated)")
    let guarantee = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor), curious: .none, steps: 3500, delta: 1e-5)
    #expect(guarantee.epsilon <= 10 * (1 + 1e-12))
    expectClose(guarantee.epsilon, 10, relative: 1e-8, "ε at the calibrated σ_cor")
    expectClose(guarantee.rho, correlated.rho, relative: 1e-12)
    // A slightly smaller σ_cor misses the target.
    let below = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor * (1 - 1e-6)), curious: .none, steps: 3500, delta: 1e-5)
    #expect(below.epsilon > 10)
  }

  @Test func calibrationAgainstTheWorstSingleCuriousUser() throws {
    let accountant = SecLDPAccountant(graph: try Graph.complete(n: 8))
    // ρ* ≈ 0.0045: σ_cdp = 12 puts the LDP level (0.014) above it and the floor 2/(7σ²) below.
    let calibration = try accountant.calibrate(
      epsilon: 5, delta: 1e-5, steps: 100, clip: 1, curious: .worstSingle, sigmaCDP: 12)
    #expect(calibration.honestCount == 7)
    let sigmaCor = try #require(calibration.correlated?.sigmaCor)
    let guarantee = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: 12, sigmaCor: sigmaCor), curious: .worstSingle, steps: 100, delta: 1e-5)
    expectClose(guarantee.epsilon, 5, relative: 1e-8)
  }

  @Test func enoughPrivateNoiseNeedsNoCorrelatedNoise() throws {
    let accountant = SecLDPAccountant(graph: try Graph.ring(n: 6))
    let target = try SecLDP.targetRho(epsilon: 3, delta: 1e-5, steps: 10)
    let sigma = try SecLDP.ldpSigma(rho: target, clip: 1) * 1.01
    let result = try accountant.calibrateCorrelatedNoise(targetRho: target, sigmaCDP: sigma, clip: 1, curious: .none)
    #expect(result.outcome == .notNeeded && result.sigmaCor == 0)
  }

  @Test func theCdpFloorIsReported() throws {
    // Ring of 16: the floor is the CDP level 2/(16 σ²); aim below it.
    let accountant = SecLDPAccountant(graph: try Graph.ring(n: 16))
    let floor = 2.0 / 16
    let unreachable = try accountant.calibrateCorrelatedNoise(targetRho: floor * 0.99, sigmaCDP: 1, clip: 1, curious: .none)
    #expect(unreachable.outcome == .unreachable && unreachable.sigmaCor == nil)
    expectClose(unreachable.floorRho, floor, relative: 1e-15)
    // A disconnected honest graph: star with the hub curious leaves isolated leaves at the LDP level.
    let star = SecLDPAccountant(graph: try Graph.star(n: 5))
    expectClose(try star.floorRho(sigmaCDP: 1, clip: 1, curious: .users([0])), 2, relative: 1e-15)
    expectClose(try star.floorRho(sigmaCDP: 1, clip: 1, curious: .worstSingle), 2, relative: 1e-15)
    // Just above the floor is reachable.
    let reachable = try accountant.calibrateCorrelatedNoise(targetRho: floor * 1.05, sigmaCDP: 1, clip: 1, curious: .none)
    let sigmaCor = try #require(reachable.sigmaCor)
    expectClose(try rho(Graph.ring(n: 16), sigmaCDP: 1, sigmaCor: sigmaCor), floor * 1.05, relative: 1e-8)
  }
}
