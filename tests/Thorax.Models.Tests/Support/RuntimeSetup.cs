using System.Runtime.CompilerServices;
using Thorax.Models.Runtime;

namespace Thorax.Models.Tests.Support;

internal static class RuntimeSetup
{
    /// <summary>The tests run on the libtorch set-up the application uses (<see cref="TorchRuntime.EnsureLoaded"/>:
    /// threads, NNPACK off, huge-page allocations), made before any test allocates a tensor.</summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.EnsureLoaded();
}
