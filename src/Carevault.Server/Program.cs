namespace Carevault.Server;

public static class Program
{
    public static int Main(string[] args) => 0;
}
