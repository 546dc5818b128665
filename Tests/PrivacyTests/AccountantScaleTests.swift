import Graphs
import Randomness
import Testing

@testable import Privacy

/// Simulator-sized graphs. No timing is asserted; `fedsim privacy` reports the speed.
@Suite struct AccountantScaleTests {
  @Test func thousandNodeErdosRenyi() throws {
    var random = RandomStream(seed: 1000, purpose: .graph)
    let graph = try Graph.erdosRenyi(n: 1000, p: 0.01, using: &random)
    let accountant = SecLDPAccountant(graph: graph)
    let noise = DecorNoise(sigmaCDP: 1, sigmaCor: 10)
    let guarantee = try accountant.guarantee(noise: noise, curious: .users([0, 17, 999]), steps: 1000, delta: 1e-5)
    let bounds = guarantee.step.bounds
    #expect(guarantee.step.honestCount == 997)
    #expect(bounds.cdp <= guarantee.rho && guarantee.rho <= bounds.ldp)
    if let connectivity = bounds.connectivity { #expect(guarantee.rho <= connectivity * (1 + 1e-9)) }
    #expect(guarantee.epsilon > 0 && guarantee.epsilon.isFinite)
  }
}
