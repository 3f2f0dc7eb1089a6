using Warden.Models.Aws;

namespace Warden.Models.Tests;

public sealed class SigV4Tests
{
    private static readonly AwsCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private static readonly DateTimeOffset ExampleTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private static readonly string EmptyHash = SigV4Signer.HashHex([]);

    [Fact]
    public void Sign_MatchesAwsTestSuiteGetVanilla()
    {
        var authorization = SigV4Signer.Authorization(
            "GET",
            new Uri("https://example.amazonaws.com/"),
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z")],
            EmptyHash,
            Example,
            "us-east-1",
            "service",
            ExampleTime);

        authorization.ShouldBe(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
            + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }

    [Fact]
    public void Sign_MatchesAwsTestSuiteQueryOrder()
    {
        var authorization = SigV4Signer.Authorization(
            "GET",
            new Uri("https://example.amazonaws.com/?Param2=value2&Param1=value1"),
            [new("host", "example.amazonaws.com"), new("x-amz-date", "20150830T123600Z")],
            EmptyHash,
            Example,
            "us-east-1",
            "service",
            ExampleTime);

        authorization.ShouldEndWith("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    }

    [Fact]
    public void CanonicalUri_EncodesTheSentPathAgain()
    {
        SigV4Signer.CanonicalUri("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke")
            .ShouldBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/invoke");
        SigV4Signer.CanonicalUri("").ShouldBe("/");
        SigV4Signer.UriEncode("a b~c/ü").ShouldBe("a%20b~c%2F%C3%BC");
    }

    [Fact]
    public void Credentials_ParseAndHideTheSecret()
    {
        AwsCredentials.Parse("AKIA1:secret/+x").ShouldBe(new AwsCredentials("AKIA1", "secret/+x", null));
        AwsCredentials.Parse("AKIA1:secret:token==").SessionToken.ShouldBe("token==");
        AwsCredentials.Parse("AKIA1:secret:token==").ToString().ShouldNotContain("secret");
        Should.Throw<InvalidOperationException>(() => AwsCredentials.Parse("only-one-part")).Message.ShouldNotContain("only-one-part");
        Should.Throw<InvalidOperationException>(() => AwsCredentials.Parse(null));
    }
}
