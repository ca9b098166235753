`timescale 1 ps/1 ps
module stimulus_gen (input clk, output logic [7:0] a, output logic [7:0] b, output logic sel);
  initial begin
    a = 0; b = 0; sel = 0;
    
    repeat (60) @(negedge clk) begin
      a = $random; b = $random;
      sel = $random;
    end
    #1 $finish;
  end
endmodule

module tb();
  int errors = 0;
  int clocks = 0;
  reg clk = 0;
  initial forever #5 clk = ~clk;
  logic [7:0] a, b; logic sel;
  logic [7:0] q_ref, q_dut;
  stimulus_gen stim1 (.clk, .a, .b, .sel);
  RefModule good1 (.a, .b, .sel, .out(q_ref));
  TopModule top_module1 (.a, .b, .sel, .out(q_dut));
  final begin
    $display("Hint: Output '%s' has %0d mismatches.", "q", errors);
    $display("Mismatches: %1d in %1d samples", errors, clocks);
  end
  always @(posedge clk, negedge clk) begin
    clocks++;
    if (q_ref !== (q_ref ^ q_dut ^ q_ref)) errors++;
  end
  initial begin
    #1000000
    $display("TIMEOUT");
    $finish();
  end
endmodule
