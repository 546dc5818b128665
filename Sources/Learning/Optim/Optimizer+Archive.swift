import StateArchive

extension FloatStorage {
  /// Overwrites the values with an archived array of the same length.
  func restore(from reader: inout ArchiveReader, what: String) throws(ArchiveError) {
    let values = try reader.readFloats()
    guard values.count == count else { throw .mismatch(what: "the size of \(what)", found: "\(values.count)", expected: "\(count)") }
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
  }
}

extension AdamW {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("adamw")
    writer.write(stepCount)
    writer.write(firstMoment.toArray())
    writer.write(secondMoment.toArray())
  }

  public mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("adamw")
    let steps = try reader.readInt()
    guard steps >= 0 else { throw .invalid(what: "AdamW step count", value: "\(steps)", offset: reader.offset) }
    // Fresh storage: a restored optimiser shares nothing with copies taken before.
    firstMoment = firstMoment.copy()
    secondMoment = secondMoment.copy()
    try firstMoment.restore(from: &reader, what: "AdamW's first moment")
    try secondMoment.restore(from: &reader, what: "AdamW's second moment")
    stepCount = steps
  }
}

extension SGD {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("sgd")
    writer.write(started)
    writer.write(buffer != nil)
    if let buffer { writer.write(buffer.toArray()) }
  }

  public mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("sgd")
    started = try reader.readBool()
    let hasBuffer = try reader.readBool()
    guard hasBuffer == (buffer != nil) else {
      throw .mismatch(what: "SGD momentum buffer", found: hasBuffer ? "present" : "absent", expected: buffer != nil ? "present" : "absent")
    }
    if let buffer {
      let fresh = buffer.copy()
      try fresh.restore(from: &reader, what: "SGD's momentum buffer")
      self.buffer = fresh
    }
  }
}
