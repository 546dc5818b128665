import Foundation
import Graphs
import Randomness
import Testing

@testable import Privacy

/// Monotonicity, scaling and bracketing properties over 50 random graphs (see `randomCases`).
@Suite struct AccountantPropertyTests {
  static let cases = (try? randomCases()) ?? []

  @Test func fiftyCasesWereGenerated() { #expect(Self.cases.count == 50) }

  @Test func rhoIsNonIncreasingInBothNoiseLevels() throws {
    for item in Self.cases {
      let s = item.noise.sigmaCDP, c = item.noise.sigmaCor
      let curious = CuriousUsers.users(item.curious)
      let base = try rho(item.graph, sigmaCDP: s, sigmaCor: c, curious: curious)
      let moreCorrelated = try rho(item.graph, sigmaCDP: s, sigmaCor: c * 1.7, curious: curious)
      let morePrivate = try rho(item.graph, sigmaCDP: s * 1.3, sigmaCor: c, curious: curious)
      #expect(moreCorrelated <= base * (1 + 1e-12), "\(item)")
      #expect(morePrivate <= base * (1 + 1e-12), "\(item)")
    }
  }

  @Test func rhoScalesAsClipSquaredAndInverseNoiseSquared() throws {
    for item in Self.cases {
      let curious = CuriousUsers.users(item.curious)
      let s = item.noise.sigmaCDP, c = item.noise.sigmaCor
      let base = try rho(item.graph, sigmaCDP: s, sigmaCor: c, clip: 1, curious: curious)
      let clipped = try rho(item.graph, sigmaCDP: s, sigmaCor: c, clip: item.noise.clip, curious: curious)
      expectClose(clipped, base * item.noise.clip * item.noise.clip, relative: 1e-12, "C² scaling, \(item)")
      let k = 2.5
      let scaled = try rho(item.graph, sigmaCDP: k * s, sigmaCor: k * c, clip: 1, curious: curious)
      expectClose(scaled, base / (k * k), relative: 1e-9, "ρ(kσ) = ρ/k², \(item)")
    }
  }

  @Test func moreCuriousUsersNeverLowerAnHonestUsersLoss() throws {
    var random = RandomStream(seed: 21, purpose: StreamPurpose("privacy-tests"))
    for item in Self.cases {
      let accountant = SecLDPAccountant(graph: item.graph)
      let before = try accountant.stepLoss(noise: item.noise, curious: .users(item.curious))
      guard before.honestCount >= 2 else { continue }
      // Make one more honest user curious.
      let extra = before.honest[random.nextInt(below: before.honestCount)]
      let after = try accountant.stepLoss(noise: item.noise, curious: .users(item.curious + [extra]))
      for user in after.honest {
        let old = try #require(before.loss(ofUser: user)), new = try #require(after.loss(ofUser: user))
        #expect(new >= old * (1 - 1e-12), "user \(user): \(old) → \(new), \(item), extra curious \(extra)")
      }
      // (ρ itself may drop: the user that attained the maximum may be the one turned curious.)
    }
  }

  @Test func anExtraHonestEdgeNeverRaisesALoss() throws {
    var random = RandomStream(seed: 22, purpose: StreamPurpose("privacy-tests"))
    var tried = 0
    for item in Self.cases {
      let curious = Set(item.curious)
      let honest = (0..<item.graph.nodeCount).filter { !curious.contains($0) }
      var candidates: [(Int, Int)] = []
      for a in honest { for b in honest where b > a && !item.graph.hasEdge(a, b) { candidates.append((a, b)) } }
      guard !candidates.isEmpty else { continue }
      let added = candidates[random.nextInt(below: candidates.count)]
      let denser = try Graph(nodeCount: item.graph.nodeCount, edges: item.graph.edges.map { ($0.i, $0.j) } + [added])
      let before = try SecLDPAccountant(graph: item.graph).stepLoss(noise: item.noise, curious: .users(item.curious))
      let after = try SecLDPAccountant(graph: denser).stepLoss(noise: item.noise, curious: .users(item.curious))
      for user in honest {
        let old = try #require(before.loss(ofUser: user)), new = try #require(after.loss(ofUser: user))
        #expect(new <= old * (1 + 1e-12), "user \(user): \(old) → \(new), \(item), edge \(added)")
      }
      tried += 1
    }
    #expect(tried >= 40)
  }

  @Test func boundsBracketRho() throws {
    var connected = 0
    for item in Self.cases {
      let step = try SecLDPAccountant(graph: item.graph).stepLoss(noise: item.noise, curious: .users(item.curious))
      let bounds = step.bounds
      #expect(bounds.cdp <= step.rho * (1 + 1e-12), "CDP ≤ ρ, \(item)")
      #expect(step.rho <= bounds.ldp * (1 + 1e-12), "ρ ≤ LDP, \(item)")
      expectClose(bounds.ldp, 2 * item.noise.clip * item.noise.clip / (item.noise.sigmaCDP * item.noise.sigmaCDP), relative: 1e-15)
      #expect(bounds.honestSubgraphConnected == (bounds.connectivity != nil))
      if let connectivity = bounds.connectivity {
        #expect(step.rho <= connectivity * (1 + 1e-9), "ρ ≤ connectivity bound, \(item)")
        #expect(connectivity <= bounds.ldp * (1 + 1e-12))
        connected += 1
      }
    }
    #expect(connected >= 25)
  }

  @Test(arguments: [3, 6, 11, 20])
  func connectivityBoundIsExactOnCompleteGraphsWithCuriousUsers(n: Int) throws {
    // Kₙ minus any curious set induces K_{n_H}, where the bound is an equality.
    let noise = DecorNoise(sigmaCDP: 0.9, sigmaCor: 3.3, clip: 1.2)
    for curious in [[], [0], [1, n - 1]] where curious.count < n - 1 {
      let step = try SecLDPAccountant(graph: Graph.complete(n: n)).stepLoss(noise: noise, curious: .users(curious))
      expectClose(try #require(step.bounds.connectivity), step.rho, relative: 1e-10)
      expectClose(try #require(step.bounds.algebraicConnectivity), Double(n - curious.count), relative: 1e-10)
    }
  }

  @Test func worstSingleDominatesEverySingleCuriousUser() throws {
    for item in Self.cases.prefix(15) {
      let accountant = SecLDPAccountant(graph: item.graph)
      let worst = try accountant.stepLoss(noise: item.noise, curious: .worstSingle)
      for c in 0..<item.graph.nodeCount {
        #expect(try accountant.stepLoss(noise: item.noise, curious: .users([c])).rho <= worst.rho, "\(item)")
      }
      #expect(worst.worstCurious.contains(worst.curious[0]))
    }
  }
}

/// The Woodbury screening of the worst single curious user against the exact scan.
@Suite struct WorstSingleScreeningTests {
  @Test func estimatesAreWithinTheirMarginAndTheMaximumIsExact() throws {
    var checked = 0
    for item in AccountantPropertyTests.cases.prefix(30) {
      let accountant = SecLDPAccountant(graph: item.graph)
      let s = item.noise.sigmaCDP, c = item.noise.sigmaCor
      let kappa = 1 + 2 * Double(item.graph.maxDegree) * (c / s) * (c / s)
      guard kappa <= SecLDPAccountant.screeningConditionLimit else { continue }
      let exact = try accountant.worstSingleScan(noise: item.noise, exactLimit: .max)
      let estimates = try #require(try accountant.screenedSingleCuriousRhos(noise: item.noise))
      let margin = SecLDPAccountant.screeningMargin(kappa: kappa)
      for (user, estimate) in estimates.enumerated() {
        let value = try #require(estimate)
        #expect(relativeDifference(value, exact[user]) <= margin / 2, "user \(user), κ \(kappa), \(item)")
      }
      let screened = try accountant.worstSingleScan(noise: item.noise, exactLimit: 0)
      #expect(screened.max()! == exact.max()!, "\(item)")
      checked += 1
    }
    #expect(checked >= 20)
  }

  @Test func aLargerGraphTakesTheScreenedPath() throws {
    var random = RandomStream(seed: 400, purpose: .graph)
    let graph = try Graph.erdosRenyi(n: 260, p: 0.04, using: &random)
    let noise = DecorNoise(sigmaCDP: 1, sigmaCor: 5)
    let accountant = SecLDPAccountant(graph: graph)
    let worst = try accountant.stepLoss(noise: noise, curious: .worstSingle)
    let exact = try accountant.worstSingleScan(noise: noise, exactLimit: .max)
    #expect(worst.rho == exact.max()!)
    #expect(worst.curious == [exact.firstIndex(of: exact.max()!)!])
  }
}

@Suite struct InverseCovarianceColumnTests {
  /// Σ_H⁻¹ e_u: its own entry is the accountant's ρ_u / 2C², Σ_H times it is e_u, and curious
  /// users have no entry.
  @Test func columnOfTheHonestInverse() throws {
    let graph = try Graph.ring(n: 8)
    let noise = DecorNoise(sigmaCDP: 1.5, sigmaCor: 3, clip: 1)
    let accountant = SecLDPAccountant(graph: graph)
    let column = try accountant.inverseCovarianceColumn(noise: noise, curious: [2], user: 4)
    #expect(column[2] == nil)
    let rho = try #require(try accountant.stepLoss(noise: noise, curious: .users([2])).loss(ofUser: 4))
    expectClose(try #require(column[4]), rho / 2, relative: 1e-12, "own entry")
    // (σ_cdp² I + σ_cor² L_H) w = e_4 over the honest users (L_H counts honest neighbours only).
    for user in 0..<8 where user != 2 {
      let honestNeighbours = graph.neighbours(of: user).filter { $0 != 2 }
      var value = (2.25 + 9 * Double(honestNeighbours.count)) * (column[user] ?? 0)
      for peer in honestNeighbours { value -= 9 * (column[peer] ?? 0) }
      #expect(abs(value - (user == 4 ? 1 : 0)) < 1e-12, "row \(user): \(value)")
    }
    #expect(throws: AccountantError.self) { try accountant.inverseCovarianceColumn(noise: noise, curious: [2], user: 2) }
  }
}
