import Foundation
import Graphs
import Testing

@testable import Privacy

@Suite struct CorrelatedNoiseTests {
  // NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt, block 1: keystream = ciphertext ⊕ plaintext.
  @Test func aes256CTRMatchesNIST() throws {
    let key = bytes("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
    let iv = bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    let stream = try Keystream.aes256CTR(key: key, iv: iv, count: 16)
    let plain = bytes("6bc1bee22e409f96e93d7e117393172a"), cipher = bytes("601ec313775789a5b7a7f504bbf3d228")
    #expect(zip(stream, plain).map { $0 ^ $1 } == cipher)
  }

  /// Keystream uniforms carry 53 bits: words that differ below the 32nd bit give different
  /// uniforms, and the extreme word reaches the ≈ 8.6σ tail that 32-bit uniforms cut at ≈ 6.7σ.
  @Test func keystreamUniformsHave53Bits() {
    func uniform(_ word: UInt64) -> Double {
      let bytes = (0..<8).map { UInt8(truncatingIfNeeded: word >> (56 - 8 * $0)) }
      return bytes.withUnsafeBufferPointer { Keystream.uniform($0, at: 0) }
    }
    #expect(uniform(0) == 1)
    #expect(uniform(1 << 11) != uniform(0))  // bit 11 of 64 lies below the top 32
    #expect(uniform(UInt64.max) == 0x1p-53)
    let radius = (-2 * log(uniform(UInt64.max))).squareRoot()
    #expect(radius > 8.5 && radius < 8.6)
  }

  /// Keys for every edge of a graph, derived independently at both endpoints.
  func edgeKeys(_ graph: Graph, runID: [UInt8] = Array("run-1".utf8)) throws -> [[EdgeKey]] {
    let keys = try (0..<graph.nodeCount).map { _ in try X25519PrivateKey() }
    var perUser = [[EdgeKey]](repeating: [], count: graph.nodeCount)
    for i in 0..<graph.nodeCount {
      for j in graph.neighbours(of: i) {
        perUser[i].append(try EdgeKey(own: keys[i], ownID: i, peer: keys[j].publicKey, peerID: j, runID: runID))
      }
    }
    return perUser
  }

  @Test func endpointsDeriveTheSameKeyAndStreamsDifferAcrossEdgesAndRounds() throws {
    let graph = try Graph.ring(n: 4)
    let keys = try edgeKeys(graph)
    let k01 = keys[0].first { $0.high == 1 }!, k10 = keys[1].first { $0.low == 0 }!
    #expect(k01 == k10)
    #expect(!"\(k01)".contains(k01.bytes.map { String(format: "%02x", $0) }.joined()))
    let a = try Keystream.gaussians(key: k01.bytes, round: 3, count: 8)
    #expect(a == (try Keystream.gaussians(key: k10.bytes, round: 3, count: 8)))
    #expect(a != (try Keystream.gaussians(key: k01.bytes, round: 4, count: 8)))
    let k12 = keys[1].first { $0.high == 2 }!
    #expect(a != (try Keystream.gaussians(key: k12.bytes, round: 3, count: 8)))
  }

  @Test func correlatedPartsCancelInTheNetworkSum() throws {
    let graph = try Graph.torus(rows: 3, columns: 3)
    let keys = try edgeKeys(graph)
    let noise = CorrelatedNoise(sigmaCDP: 1, sigmaCor: 10)
    var sum = [Double](repeating: 0, count: 5)
    for user in 0..<9 {
      let part = try noise.correlated(user: user, edges: keys[user], round: 7, dimension: 5)
      for i in 0..<5 { sum[i] += part[i] }
    }
    #expect(sum.allSatisfy { abs($0) < 1e-10 })
  }

  /// Monte-Carlo covariance of the total noise across users → σ_cdp² I + σ_cor² L.
  @Test func covarianceApproachesTheLaplacianForm() throws {
    let graph = try Graph.ring(n: 5)
    let keys = try edgeKeys(graph)
    let noise = CorrelatedNoise(sigmaCDP: 1, sigmaCor: 2)
    let rounds = 20_000, n = 5
    var covariance = [Double](repeating: 0, count: n * n)
    for round in 0..<rounds {
      let sample = try (0..<n).map { try noise.noise(user: $0, edges: keys[$0], round: round, dimension: 1, seed: 9)[0] }
      for i in 0..<n { for j in 0..<n { covariance[i * n + j] += sample[i] * sample[j] } }
    }
    let laplacian = graph.laplacianMatrix()
    for i in 0..<n {
      for j in 0..<n {
        let expected = (i == j ? 1.0 : 0) + 4 * laplacian[i, j]
        // Standard error of a sample covariance ≈ √((Σ_ii Σ_jj + Σ_ij²)/R) ≤ 9·√2/√20000 ≈ 0.09.
        #expect(abs(covariance[i * n + j] / Double(rounds) - expected) < 0.45, "entry (\(i), \(j))")
      }
    }
  }
}
