namespace GqaGen.Generator.Tests.Fuzz;

/// <summary>The kinds of type declaration the fuzzer puts [GqaLayout] on, or nests it in.</summary>
internal enum DeclarationKind { Class, Struct, Record, RecordStruct, StaticClass, Interface }

/// <summary>How the fuzzed file declares its namespace.</summary>
internal enum NamespaceStyle { None, FileScoped, Block }

/// <summary>Whether, and where, a second [GqaLayout] is put on the type.</summary>
internal enum DuplicateStyle { None, SameDeclaration, SecondPartialDeclaration }

/// <summary>One enclosing type of the annotated type.</summary>
internal sealed record Container(DeclarationKind Kind, bool IsPartial, bool IsGeneric);

/// <summary>An optional [GqaLayout] argument (SlidingWindow, KvElementTypes) as the fuzzer writes it: the expression, and
/// whether the attribute's documented rules accept it.</summary>
internal sealed record OptionArgument(string Expression, bool IsValid)
{
    public override string ToString() => Expression;
}
