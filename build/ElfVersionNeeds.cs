// Shared by the build (an inline MSBuild task in build/TorchSharpNative.targets) and by the tests, so it uses only the
// base class library and stays in one file.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Thorax.Build
{
#if !THORAX_ELF_IN_LIBRARY
    /// <summary>The MSBuild task around <see cref="ElfVersionNeeds.WeakenCopy"/> (build/TorchSharpNative.targets).</summary>
    public sealed class WeakenGlibcxxNeed : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Library { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Version { get; set; } = "";

        public override bool Execute()
        {
            try
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, ElfVersionNeeds.WeakenCopy(Library, Version));
                return true;
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError($"cannot mark {Version} weak in {Library}: {e.Message}");
                return false;
            }
        }
    }
#endif

    /// <summary>
    /// Reads and edits the version needs (<c>.gnu.version_r</c>) of a little-endian ELF64 shared library.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked against GCC 13 and asks for <c>GLIBCXX_3.4.32</c>, which
    /// Debian 12's libstdc++ (GCC 12, up to 3.4.30) lacks; the only symbol behind that version is the marker
    /// <c>std::ios_base_library_init()</c>, which nothing calls. Marking that one need weak (VER_FLG_WEAK) lets the
    /// dynamic loader accept the library; <see cref="WeakenCopy"/> does that in the build output, never in the NuGet cache.
    /// </remarks>
    public static class ElfVersionNeeds
    {
        /// <summary>VER_FLG_WEAK of <c>elf.h</c>.</summary>
        public const ushort WeakFlag = 0x2;

        /// <summary>One needed version: the library that defines it, its name, its flags and the byte offset of the flags.</summary>
        public sealed class Need
        {
            /// <summary>A need read from the <c>.gnu.version_r</c> section.</summary>
            public Need(string file, string name, ushort flags, int flagsOffset)
            {
                File = file;
                Name = name;
                Flags = flags;
                FlagsOffset = flagsOffset;
            }

            /// <summary>The library that defines the version (e.g. <c>libstdc++.so.6</c>).</summary>
            public string File { get; }

            /// <summary>The version name (e.g. <c>GLIBCXX_3.4.32</c>).</summary>
            public string Name { get; }

            /// <summary>The <c>vna_flags</c> field.</summary>
            public ushort Flags { get; }

            /// <summary>Byte offset of <c>vna_flags</c> in the file.</summary>
            public int FlagsOffset { get; }

            /// <summary>True when <c>VER_FLG_WEAK</c> is set: the loader accepts a library without the version.</summary>
            public bool IsWeak => (Flags & WeakFlag) != 0;
        }

        /// <summary>Every version need of the ELF image <paramref name="elf"/>.</summary>
        /// <exception cref="InvalidDataException">Not a little-endian ELF64 image, or its tables point outside it.</exception>
        public static List<Need> Read(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a little-endian ELF64 file");
            var shoff = checked((int)U64(elf, 0x28));
            int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
            var needs = new List<Need>();
            for (var i = 0; i < shnum; i++)
            {
                var sh = checked(shoff + i * shentsize);
                if (U32(elf, sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
                var offset = checked((int)U64(elf, sh + 0x18));
                var link = (int)U32(elf, sh + 0x28);
                var count = (int)U32(elf, sh + 0x2C);
                var strtab = checked((int)U64(elf, checked(shoff + link * shentsize + 0x18)));
                for (var n = 0; n < count; n++)
                {
                    int auxCount = U16(elf, offset + 2);
                    var file = Str(elf, strtab + (int)U32(elf, offset + 4));
                    var aux = checked(offset + (int)U32(elf, offset + 8));
                    for (var a = 0; a < auxCount; a++)
                    {
                        needs.Add(new Need(file, Str(elf, strtab + (int)U32(elf, aux + 8)), U16(elf, aux + 4), aux + 4));
                        var nextAux = (int)U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux = checked(aux + nextAux);
                    }
                    var next = (int)U32(elf, offset + 12);
                    if (next == 0) break;
                    offset = checked(offset + next);
                }
            }
            return needs;
        }

        /// <summary>True when the ELF image at <paramref name="path"/> defines version <paramref name="version"/>
        /// (e.g. whether the system libstdc++ has <c>GLIBCXX_3.4.32</c>).</summary>
        public static bool Defines(string path, string version)
        {
            var bytes = System.IO.File.ReadAllBytes(path);
            var pattern = Encoding.ASCII.GetBytes(version + "\0");
            for (var i = 0; i + pattern.Length <= bytes.Length; i++)
            {
                if (bytes[i] != pattern[0]) continue;
                var j = 1;
                while (j < pattern.Length && bytes[i + j] == pattern[j]) j++;
                if (j == pattern.Length) return true;
            }
            return false;
        }

        /// <summary>The system libstdc++ the dynamic loader would pick, or null when none of the usual paths has one.</summary>
        public static string? SystemLibStdCxx()
        {
            foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64" })
            {
                var p = Path.Combine(dir, "libstdc++.so.6");
                if (System.IO.File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>
        /// Makes the need for <paramref name="version"/> of <paramref name="library"/> weak when the system libstdc++ lacks
        /// that version. The file is replaced through a temporary copy and a rename (a symbolic link into the NuGet
        /// cache is replaced, never followed), and keeps the original's modification time so incremental copies skip it.
        /// </summary>
        /// <returns>What was done, for the build log.</returns>
        public static string WeakenCopy(string library, string version)
        {
            if (!System.IO.File.Exists(library)) return "no " + library;
            var system = SystemLibStdCxx();
            if (system != null && Defines(system, version)) return $"{system} defines {version}: nothing to do";
            var bytes = System.IO.File.ReadAllBytes(library);
            var changed = false;
            foreach (var need in Read(bytes))
            {
                if (need.Name != version || need.IsWeak) continue;
                var flags = (ushort)(need.Flags | WeakFlag);
                bytes[need.FlagsOffset] = (byte)flags;
                bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed = true;
            }
            if (!changed) return $"{library}: no strong need for {version}";
            var time = LastWriteTimeThroughLinks(library);
            var tmp = library + ".weak.tmp";
            System.IO.File.WriteAllBytes(tmp, bytes);
            System.IO.File.SetLastWriteTimeUtc(tmp, time);
            // rename(2) would replace a symbolic link atomically, but the task compiles against netstandard2.0, whose
            // File.Move cannot overwrite: remove the link (never its target) first.
            System.IO.File.Delete(library);
            System.IO.File.Move(tmp, library);
            return $"{library}: marked the need for {version} weak";
        }

        /// <summary>
        /// The modification time of the file <paramref name="path"/> leads to: a symbolic link into the NuGet cache has its
        /// own time (when the build made it), and the patched copy must carry the package file's, which the incremental copy
        /// compares. netstandard2.0 (the MSBuild task) has no <c>FileSystemInfo.LinkTarget</c>; the runtime that runs the
        /// build has it, so it is read by reflection.
        /// </summary>
        private static DateTime LastWriteTimeThroughLinks(string path)
        {
            var linkTarget = typeof(FileSystemInfo).GetProperty("LinkTarget");
            for (var i = 0; i < 40 && linkTarget?.GetValue(new FileInfo(path)) is string target; i++)
                path = Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path) ?? "", target);
            return System.IO.File.GetLastWriteTimeUtc(path);
        }

        private static ushort U16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);
        private static uint U32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        private static ulong U64(byte[] b, int o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

        private static string Str(byte[] b, int o)
        {
            var end = Array.IndexOf(b, (byte)0, o);
            if (end < 0) throw new InvalidDataException("unterminated string in the ELF string table");
            return Encoding.ASCII.GetString(b, o, end - o);
        }
    }
}
