import Foundation
import Testing

@testable import Learning

/// Choosing a verified OpenBLAS kernel (issue: fast on every CPU).
@Suite struct KernelSelectionTests {
  static let avx512: CPUFeatures = {
    var f = CPUFeatures()
    f.avx = true
    f.avx2 = true
    f.fma = true
    f.avx512f = true
    f.avx512bw = true
    f.avx512dq = true
    f.avx512vl = true
    return f
  }()
  static let avx2: CPUFeatures = {
    var f = CPUFeatures()
    f.avx = true
    f.avx2 = true
    f.fma = true
    return f
  }()

  /// A probe that passes for the kernels in `good`; OpenBLAS "runs" `runs[kernel]` when asked.
  final class FakeProbes: @unchecked Sendable {
    var asked: [String] = []
    let good: Set<String>
    let runs: [String: String]
    init(good: Set<String>, runs: [String: String] = [:]) {
      self.good = good
      self.runs = runs
    }
    func probe(_ kernel: String) -> KernelProbe {
      asked.append(kernel)
      let reported = runs[kernel] ?? kernel
      let ok = good.contains(reported)
      return KernelProbe(requested: kernel, reported: reported, passed: ok, maxError: ok ? 1e-7 : 0.5, gflops: ok ? 90 : 0)
    }
  }

  func loaded(_ kernel: String, passes: Bool) -> () -> KernelProbe {
    { KernelProbe(requested: kernel, reported: kernel, passed: passes, maxError: passes ? 1e-7 : 0.3, gflops: 15) }
  }

  @Test func aGenericFallbackIsReplacedByTheBestKernelThatPasses() {
    // The model-207 Xeon: OpenBLAS 0.3.21 falls back to Prescott on an AVX-512 (BF16) CPU.
    var features = Self.avx512
    features.avx512bf16 = true
    // This OpenBLAS does not know "Cooperlake" there (it runs Prescott instead): skip to SkylakeX.
    let probes = FakeProbes(good: ["SkylakeX", "Haswell", "Prescott"], runs: ["Cooperlake": "Prescott"])
    let decision = KernelDecision.decide(
      loaded: "Prescott", features: features, userForced: nil, probeLoaded: loaded("Prescott", passes: true), probe: probes.probe)
    #expect(decision.kernel == "SkylakeX" && decision.source == .fedsim)
    #expect(probes.asked == ["Cooperlake", "SkylakeX"])
    #expect(decision.warnings.contains { $0.contains("Cooperlake") && $0.contains("Prescott instead") })
  }

  @Test func aKernelThatFailsItsSelfTestIsNeverUsed() {
    let probes = FakeProbes(good: ["Haswell"])
    let decision = KernelDecision.decide(
      loaded: "Prescott", features: Self.avx512, userForced: nil, probeLoaded: loaded("Prescott", passes: true), probe: probes.probe)
    #expect(decision.kernel == "Haswell" && probes.asked == ["SkylakeX", "Haswell"])
    // Nothing better passes: the loaded kernel stays.
    let none = FakeProbes(good: [])
    let kept = KernelDecision.decide(
      loaded: "Prescott", features: Self.avx2, userForced: nil, probeLoaded: loaded("Prescott", passes: true), probe: none.probe)
    #expect(kept.kernel == "Prescott" && kept.source == .openblas && !kept.warnings.isEmpty)
  }

  @Test func theUsersKernelIsRespectedWhenItPassesAndReplacedWhenItFails() {
    let probes = FakeProbes(good: ["SkylakeX", "Haswell"])
    let respected = KernelDecision.decide(
      loaded: "Haswell", features: Self.avx512, userForced: "Haswell", probeLoaded: loaded("Haswell", passes: true), probe: probes.probe)
    #expect(respected.kernel == "Haswell" && respected.source == .user && probes.asked.isEmpty)
    let failing = KernelDecision.decide(
      loaded: "SkylakeX", features: Self.avx512, userForced: "SkylakeX", probeLoaded: loaded("SkylakeX", passes: false),
      probe: FakeProbes(good: ["Haswell"]).probe)
    #expect(failing.kernel == "Haswell" && failing.source == .fedsim)
    #expect(failing.warnings.first?.contains("OPENBLAS_CORETYPE=SkylakeX") == true)
  }

  @Test func theBestKernelIsKeptWithoutProbing() {
    let probes = FakeProbes(good: ["SkylakeX"])
    let decision = KernelDecision.decide(
      loaded: "SkylakeX", features: Self.avx512, userForced: nil, probeLoaded: loaded("SkylakeX", passes: true), probe: probes.probe)
    #expect(decision.kernel == "SkylakeX" && decision.source == .openblas && probes.asked.isEmpty)
  }

  @Test func whenEverythingFailsTheGenericKernelIsTheLastResort() {
    let probes = FakeProbes(good: ["Prescott"])
    let decision = KernelDecision.decide(
      loaded: "Haswell", features: Self.avx2, userForced: nil, probeLoaded: loaded("Haswell", passes: false), probe: probes.probe)
    #expect(decision.kernel == "Prescott" && probes.asked == ["Sandybridge", "Prescott"])
  }

  @Test func kernelLevelsAndCandidates() {
    #expect(KernelLevel(kernel: "Prescott") == .generic && KernelLevel(kernel: "Haswell") == .avx2)
    #expect(KernelLevel(kernel: "zen") == .avx2 && KernelLevel(kernel: "Cooperlake") == .avx512)
    #expect(KernelLevel.candidates(for: Self.avx2) == ["Haswell", "Sandybridge"])
    #expect(KernelLevel.candidates(for: Self.avx512) == ["SkylakeX", "Haswell", "Sandybridge"])
    #expect(KernelLevel.candidates(for: CPUFeatures()).isEmpty)
  }

  /// The self-test passes OpenBLAS's SGEMM here and catches broken ones.
  @Test func theSelfTestPassesTheLoadedKernelAndCatchesBrokenGEMMs() {
    #expect(KernelSelfTest.maxError() < 1e-5)
    // A GEMM that ignores β.
    let ignoresBeta: KernelSelfTest.GEMM = { ta, tb, m, n, k, alpha, a, lda, b, ldb, _, c, ldc in
      gemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    }
    #expect(KernelSelfTest.maxError(of: ignoresBeta) > KernelSelfTest.tolerance)
    // One that drops the last row of odd-sized products (a broken edge case).
    let dropsEdge: KernelSelfTest.GEMM = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
      let rows = m % 2 == 1 && m > 1 ? m - 1 : m
      gemm(ta, tb, m: rows, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    #expect(KernelSelfTest.maxError(of: dropsEdge) > KernelSelfTest.tolerance)
    // One that writes into the padding of C.
    let spills: KernelSelfTest.GEMM = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
      gemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
      if ldc > n { c[n] = 42 }
    }
    #expect(KernelSelfTest.maxError(of: spills) == .infinity)
  }

  /// CPUID agrees with what Linux reports in /proc/cpuinfo.
  @Test func cpuFeaturesMatchTheKernelsView() throws {
    #if arch(x86_64)
      let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
      let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
      let cpu = CPUFeatures.current
      #expect(["GenuineIntel", "AuthenticAMD"].contains(cpu.vendor))
      #expect(cpu.avx2 == flags.contains("avx2") && cpu.fma == flags.contains("fma"))
      #expect(cpu.avx512f == flags.contains("avx512f") && cpu.avx512bw == flags.contains("avx512bw"))
      #expect(cpu.avx512bf16 == flags.contains("avx512_bf16"))
      #expect(!cpu.brand.isEmpty)
    #endif
  }
}
