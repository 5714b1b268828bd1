[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("synthrun")]
