import Foundation

/// File-system access for the readers, with `DataError`s that name the path.
enum FileAccess {
  /// The bytes of the file at `path`.
  static func read(_ path: String) throws(DataError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      let reason =
        !exists ? "no such file" : isDirectory.boolValue ? "is a directory" : "permission denied"
      throw DataError(source: path, kind: .unreadable(reason: reason), expected: "a readable file")
    }
    return [UInt8](data)
  }

  /// Whether `path` is a directory (following symbolic links); nil when nothing is there.
  static func isDirectory(_ path: String) -> Bool? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
    return isDirectory.boolValue
  }

  /// Throws unless `path` is a directory.
  static func requireDirectory(_ path: String) throws(DataError) {
    switch isDirectory(path) {
    case true?: return
    case false?:
      throw DataError(source: path, kind: .unreadable(reason: "not a directory"), expected: "a directory")
    case nil:
      throw DataError(source: path, kind: .unreadable(reason: "no such directory"), expected: "a directory")
    }
  }

  /// The non-hidden entries of a directory, in byte order of their names.
  static func entries(of directory: String) throws(DataError) -> [String] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw DataError(
        source: directory, kind: .unreadable(reason: "cannot list the directory"),
        expected: "a readable directory")
    }
    return names.filter { !$0.hasPrefix(".") }.sorted(by: byteOrder)
  }

  /// The files under `directory`, recursively (following symbolic links, at most `maxDepth`
  /// levels), as paths relative to it, in byte order. Hidden files and folders (a leading '.') are
  /// skipped, and so is every file for which `include` is false. Two names for one file (a
  /// symbolic link next to its target, as Debian's `fortunes.u8 -> fortunes`) are listed once,
  /// under the first name in byte order.
  static func files(
    under directory: String, maxDepth: Int = 32, include: (String) -> Bool = { _ in true }
  ) throws(DataError) -> [String] {
    try requireDirectory(directory)
    var found: [String] = []
    var seen: Set<String> = []
    try collect(directory, relative: "", depth: 0, maxDepth: maxDepth, include: include, into: &found, seen: &seen)
    return found
  }

  private static func collect(
    _ root: String, relative: String, depth: Int, maxDepth: Int, include: (String) -> Bool,
    into found: inout [String], seen: inout Set<String>
  ) throws(DataError) {
    let directory = relative.isEmpty ? root : join(root, relative)
    for name in try entries(of: directory) {
      let path = relative.isEmpty ? name : join(relative, name)
      let full = join(root, path)
      switch isDirectory(full) {
      case true?:
        if depth < maxDepth {
          try collect(root, relative: path, depth: depth + 1, maxDepth: maxDepth, include: include, into: &found, seen: &seen)
        }
      case false?:
        guard include(path) else { continue }
        let resolved = URL(fileURLWithPath: full).resolvingSymlinksInPath().path
        if seen.insert(resolved).inserted { found.append(path) }
      case nil:
        continue  // a dangling symbolic link
      }
    }
  }

  static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  static func byteOrder(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
  }
}
