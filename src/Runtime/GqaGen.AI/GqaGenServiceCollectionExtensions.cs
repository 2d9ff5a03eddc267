using GqaGen.AI;
using GqaGen.Llama;
using Microsoft.Extensions.AI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="GqaGenChatClient"/> as the application's <see cref="IChatClient"/>, as other
/// Microsoft.Extensions.AI providers do (<c>AddChatClient</c> underneath, so the returned builder adds middleware:
/// <c>.UseLogging()</c>, <c>.UseOpenTelemetry()</c>, …).</summary>
public static class GqaGenServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IChatClient"/> that loads the GGUF model at <paramref name="modelPath"/> when it
    /// is first resolved, and disposes it with the service provider.
    /// </summary>
    public static ChatClientBuilder AddGqaGenChatClient(this IServiceCollection services, string modelPath,
        LlamaModelOptions? modelOptions = null, GqaGenChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return services.AddChatClient(_ => GqaGenChatClient.Load(modelPath, modelOptions, options));
    }

    /// <summary>As <see cref="AddGqaGenChatClient"/>, registered under <paramref name="serviceKey"/> (several models in one app).</summary>
    public static ChatClientBuilder AddKeyedGqaGenChatClient(this IServiceCollection services, object serviceKey, string modelPath,
        LlamaModelOptions? modelOptions = null, GqaGenChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return services.AddKeyedChatClient(serviceKey, _ => GqaGenChatClient.Load(modelPath, modelOptions, options));
    }
}
