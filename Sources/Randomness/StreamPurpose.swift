/// What a random stream is used for. Streams with different purposes are independent even when
/// every other coordinate (seed, client, round, step) is the same.
public struct StreamPurpose: Sendable, Hashable, CustomStringConvertible {
  public let rawValue: UInt64
  public let description: String

  /// A purpose named by a string; the value is a stable FNV-1a hash of the name, so user-defined
  /// purposes in other packages need no central registry.
  public init(_ name: String) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    self.rawValue = hash
    self.description = name
  }

  public static let weightInit = StreamPurpose("weight-init")
  public static let adapterInit = StreamPurpose("adapter-init")
  public static let dropout = StreamPurpose("dropout")
  public static let batches = StreamPurpose("batches")
  public static let clientSampling = StreamPurpose("client-sampling")
  public static let data = StreamPurpose("data")
  public static let noise = StreamPurpose("noise")
}
