import { describe, expect, it } from "vitest";
import {
  containerCredentialsUrl,
  instanceMetadataDisabled,
  instanceMetadataEndpoint,
  stsEndpoint,
} from "../../../../../src/runtimes/node/credentials/endpoints";

describe("instance metadata endpoint", () => {
  it.each([
    [{}, "http://169.254.169.254"],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4" }, "http://169.254.169.254"],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv6" }, "http://[fd00:ec2::254]"],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "ipv6" }, "http://[fd00:ec2::254]"],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:1338/" }, "http://127.0.0.1:1338"],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://[::1]:1338", AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4" }, "http://[::1]:1338"],
  ])("%j -> %s", (env, expected) => {
    expect(instanceMetadataEndpoint(env)).toBe(expected);
  });

  it.each([
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "dual" }, /IPv4 or IPv6/],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT: "169.254.169.254" }, /AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL/],
    [{ AWS_EC2_METADATA_SERVICE_ENDPOINT: "ftp://169.254.169.254" }, /http\(s\) URL/],
  ])("rejects %j", (env, message) => {
    expect(() => instanceMetadataEndpoint(env)).toThrow(message);
  });

  it.each([
    [undefined, false],
    ["", false],
    ["false", false],
    ["FALSE", false],
    ["true", true],
    ["TRUE", true],
    ["1", true],
  ])("AWS_EC2_METADATA_DISABLED=%s -> disabled %s", (value, disabled) => {
    expect(instanceMetadataDisabled({ AWS_EC2_METADATA_DISABLED: value })).toBe(disabled);
  });
});

describe("container credentials URL", () => {
  it.each([
    [{}, null],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/abc" }, "http://169.254.170.2/v2/credentials/abc"],
    [
      { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/abc", AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://127.0.0.1/x" },
      "http://169.254.170.2/v2/credentials/abc",
    ],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials" }, "http://169.254.170.23/v1/credentials"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://[fd00:ec2::23]/v1/credentials" }, "http://[fd00:ec2::23]/v1/credentials"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.2/creds" }, "http://169.254.170.2/creds"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://127.0.0.1:8080/creds?x=1" }, "http://127.0.0.1:8080/creds?x=1"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://127.10.20.30/creds" }, "http://127.10.20.30/creds"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://localhost:9911/creds" }, "http://localhost:9911/creds"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://[::1]:9911/creds" }, "http://[::1]:9911/creds"],
    [{ AWS_CONTAINER_CREDENTIALS_FULL_URI: "https://creds.example.com/role" }, "https://creds.example.com/role"],
  ])("%j -> %s", (env, expected) => {
    expect(containerCredentialsUrl(env)).toBe(expected);
  });

  it.each([
    "http://creds.example.com/role",
    "http://10.0.0.5/creds",
    "http://169.254.169.254/latest",
    "http://128.0.0.1/creds",
    "http://[fd00:ec2::254]/creds",
  ])("refuses plain http to %s", (url) => {
    expect(() => containerCredentialsUrl({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })).toThrow(/must be https, or http to loopback/);
  });

  it("resolves the relative URI against the host it is given", () => {
    expect(containerCredentialsUrl({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/x" }, "http://127.0.0.1:4567")).toBe(
      "http://127.0.0.1:4567/v2/credentials/x",
    );
  });
});

describe("STS endpoint", () => {
  it.each([
    [{}, "us-east-1", "https://sts.us-east-1.amazonaws.com", "us-east-1"],
    [{}, "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1"],
    [{ AWS_STS_REGIONAL_ENDPOINTS: "regional" }, "us-east-1", "https://sts.us-east-1.amazonaws.com", "us-east-1"],
    [{ AWS_STS_REGIONAL_ENDPOINTS: "legacy" }, "us-east-1", "https://sts.amazonaws.com", "us-east-1"],
    [{ AWS_STS_REGIONAL_ENDPOINTS: "legacy" }, "eu-west-1", "https://sts.amazonaws.com", "us-east-1"],
    // Regions launched after the global endpoint stayed regional even in legacy mode.
    [{ AWS_STS_REGIONAL_ENDPOINTS: "legacy" }, "ap-east-1", "https://sts.ap-east-1.amazonaws.com", "ap-east-1"],
    [{}, "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"],
    [{}, "us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"],
    [{ AWS_ENDPOINT_URL_STS: "http://127.0.0.1:4566/" }, "eu-central-1", "http://127.0.0.1:4566", "eu-central-1"],
    [
      { AWS_ENDPOINT_URL_STS: "https://sts-vpce.example.internal", AWS_STS_REGIONAL_ENDPOINTS: "legacy" },
      "us-east-1",
      "https://sts-vpce.example.internal",
      "us-east-1",
    ],
  ])("%j in %s -> %s signed for %s", (env, region, url, signingRegion) => {
    expect(stsEndpoint(env, region)).toEqual({ url, signingRegion });
  });

  it("rejects an unknown AWS_STS_REGIONAL_ENDPOINTS", () => {
    expect(() => stsEndpoint({ AWS_STS_REGIONAL_ENDPOINTS: "global" }, "us-east-1")).toThrow(/regional or legacy/);
  });
});
