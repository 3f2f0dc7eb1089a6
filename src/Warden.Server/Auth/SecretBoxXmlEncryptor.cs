using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Warden.Data.Security;

namespace Warden.Server.Auth;

/// <summary>
/// Encrypts ASP.NET Core data-protection keys (used for antiforgery tokens) with <see cref="SecretBox"/> before they
/// are written to the data folder, so a copy of the folder without the master key reveals nothing usable.
/// </summary>
public sealed class SecretBoxXmlEncryptor(SecretBox box) : IXmlEncryptor
{
    private const string Purpose = "aspnet-data-protection-key";

    /// <inheritdoc />
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedValue = box.SealString(plaintextElement.ToString(SaveOptions.DisableFormatting), Purpose);
        return new EncryptedXmlInfo(new XElement("wardenSecretBox", sealedValue), typeof(Decryptor));
    }

    /// <summary>Reverses <see cref="Encrypt"/>; activated by data protection with the service provider.</summary>
    public sealed class Decryptor(IServiceProvider services) : IXmlDecryptor
    {
        /// <inheritdoc />
        public XElement Decrypt(XElement encryptedElement) =>
            XElement.Parse(services.GetRequiredService<SecretBox>().OpenString(encryptedElement.Value, Purpose));
    }

    /// <summary>Plugs the encryptor into data protection's key manager.</summary>
    public sealed class Setup(SecretBox box) : IConfigureOptions<KeyManagementOptions>
    {
        /// <inheritdoc />
        public void Configure(KeyManagementOptions options) => options.XmlEncryptor = new SecretBoxXmlEncryptor(box);
    }
}
