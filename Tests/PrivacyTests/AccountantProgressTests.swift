import Foundation
import Graphs
import Testing

@testable import Privacy

/// Long accountant computations say what they are doing: each dense step with its order and cost
/// before it starts and its time after, and the worst-curious scan user by user.
@Suite struct AccountantProgressTests {
  final class Events: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private let lock = NSLock()
    private var list: [AccountantProgress] = []
    func add(_ event: AccountantProgress) {
      lock.lock()
      list.append(event)
      lock.unlock()
    }
    var all: [AccountantProgress] {
      lock.lock()
      defer { lock.unlock() }
      return list
    }
  }

  @Test func denseStepsAreAnnouncedWithTheirCost() throws {
    let events = Events()
    let accountant = SecLDPAccountant(graph: try Graph.complete(n: 10), progress: { events.add($0) })
    _ = try accountant.guarantee(
      noise: DecorNoise(sigmaCDP: 1, sigmaCor: 10, clip: 1), curious: .users([3]), steps: 100, delta: 1e-5)
    let names = events.all.map { event -> String in
      switch event {
      case .stageStarted(let name, let order, let flops, _): return "start \(name) \(order) \(flops)"
      case .stageFinished(let name, let seconds): return seconds >= 0 ? "end \(name)" : "negative time"
      case .scan: return "scan"
      }
    }
    #expect(
      names == [
        "start Cholesky inverse of the honest covariance 9 729.0", "end Cholesky inverse of the honest covariance",
        "start Laplacian eigenvalues (λ₂ of the honest subgraph) 9 972.0", "end Laplacian eigenvalues (λ₂ of the honest subgraph)",
      ])
  }

  @Test func theWorstCuriousScanCountsUsers() throws {
    let events = Events()
    let accountant = SecLDPAccountant(graph: try Graph.ring(n: 12), progress: { events.add($0) })
    _ = try accountant.stepLoss(noise: DecorNoise(sigmaCDP: 1, sigmaCor: 10, clip: 1), curious: .worstSingle)
    let scans = events.all.compactMap { event -> Int? in
      if case .scan(let done, let total) = event, total == 12 { return done }
      return nil
    }
    #expect(scans == Array(1...12))
  }
}
