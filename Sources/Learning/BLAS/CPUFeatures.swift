import CBLAS
import Foundation

/// What the processor can do, read with CPUID (x86-64). Vector extensions count only when the
/// operating system saves their registers (XCR0), as OpenBLAS itself requires. On other
/// architectures every x86 feature is false.
public struct CPUFeatures: Sendable, Equatable, Codable {
  public var vendor: String = ""
  /// The processor's brand string, e.g. "AMD EPYC 9R45" or "Intel(R) Xeon(R) Platinum 8488C".
  public var brand: String = ""
  public var family = 0
  public var model = 0
  public var avx = false
  public var avx2 = false
  public var fma = false
  public var avx512f = false
  public var avx512bw = false
  public var avx512dq = false
  public var avx512vl = false
  public var avx512bf16 = false

  public init() {}

  /// The features of this machine's processor (read once).
  public static let current = CPUFeatures.detect()

  /// AVX2 and FMA: what OpenBLAS's Haswell kernels need.
  public var hasAVX2FMA: Bool { avx2 && fma }
  /// AVX-512 F, BW, DQ and VL: what its SkylakeX kernels need.
  public var hasAVX512: Bool { avx512f && avx512bw && avx512dq && avx512vl }

  /// "AVX2, FMA, AVX-512F/BW/DQ/VL, AVX-512 BF16" (the extensions that decide the kernel).
  public var summary: String {
    var parts: [String] = []
    if avx { parts.append("AVX") }
    if avx2 { parts.append("AVX2") }
    if fma { parts.append("FMA") }
    let avx512 = [("F", avx512f), ("BW", avx512bw), ("DQ", avx512dq), ("VL", avx512vl)].filter(\.1).map(\.0)
    if !avx512.isEmpty { parts.append("AVX-512" + avx512.joined(separator: "/")) }
    if avx512bf16 { parts.append("AVX-512 BF16") }
    return parts.isEmpty ? "no AVX" : parts.joined(separator: ", ")
  }

  static func detect() -> CPUFeatures {
    var features = CPUFeatures()
    func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32]? {
      var registers = [UInt32](repeating: 0, count: 4)
      let ok = registers.withUnsafeMutableBufferPointer { fedsim_cpuid(leaf, subleaf, $0.baseAddress) }
      return ok != 0 ? registers : nil
    }
    func bit(_ value: UInt32, _ index: Int) -> Bool { value & (1 << UInt32(index)) != 0 }
    func text(_ words: [UInt32]) -> String {
      let bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
      return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
    guard let leaf0 = cpuid(0) else { return features }
    features.vendor = text([leaf0[1], leaf0[3], leaf0[2]])
    let maxLeaf = leaf0[0]
    guard let leaf1 = cpuid(1) else { return features }
    let baseFamily = Int((leaf1[0] >> 8) & 0xF), baseModel = Int((leaf1[0] >> 4) & 0xF)
    features.family = baseFamily == 0xF ? baseFamily + Int((leaf1[0] >> 20) & 0xFF) : baseFamily
    features.model = baseFamily == 0x6 || baseFamily == 0xF ? baseModel | Int((leaf1[0] >> 16) & 0xF) << 4 : baseModel
    // XGETBV exists only when the OS enabled it (OSXSAVE); XCR0 says which states it saves.
    let xcr0: UInt64 = bit(leaf1[2], 27) ? fedsim_xgetbv0() : 0
    let savesYMM = xcr0 & 0x6 == 0x6, savesZMM = xcr0 & 0xE6 == 0xE6
    features.avx = bit(leaf1[2], 28) && savesYMM
    features.fma = bit(leaf1[2], 12) && savesYMM
    if maxLeaf >= 7, let leaf7 = cpuid(7) {
      features.avx2 = bit(leaf7[1], 5) && savesYMM
      features.avx512f = bit(leaf7[1], 16) && savesZMM
      features.avx512dq = bit(leaf7[1], 17) && savesZMM
      features.avx512bw = bit(leaf7[1], 30) && savesZMM
      features.avx512vl = bit(leaf7[1], 31) && savesZMM
      if leaf7[0] >= 1, let leaf71 = cpuid(7, 1) { features.avx512bf16 = bit(leaf71[0], 5) && savesZMM }
    }
    if let extended = cpuid(0x8000_0000), extended[0] >= 0x8000_0004 {
      features.brand = text((0x8000_0002...0x8000_0004).flatMap { cpuid(UInt32($0)) ?? [0, 0, 0, 0] })
    }
    return features
  }
}
